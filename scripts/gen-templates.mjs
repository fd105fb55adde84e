#!/usr/bin/env node
// Compiles templates/*.hbs ahead of time into src/emit/templates.gen.ts: one
// plain function per template that appends strings in loops.
//
// Why not Handlebars' own runtime: on a 1,000-context config the runtime
// (template compilation at start-up, then `{{#each}}` frames, depth arrays
// and property lookups per item) was ~15% of a whole `vsc compile`. The
// templates stay ordinary Handlebars: they are parsed here by Handlebars'
// own parser (which also applies its standalone-line whitespace rules), and
// only the subset vsc uses is accepted, with the options the emitter always
// used (strict, noEscape, data: false, knownHelpersOnly with `sh` and `c`):
//   {{path}} {{../path}} {{this}} {{a.b}}   value; null renders as ""
//   {{sh path}} {{c path}}                   the quoting helpers (src/emit/quote.ts)
//   {{#each path}}..{{else}}..{{/each}}      arrays only
//   {{#if path}}..{{else}}..{{/if}}          Handlebars truthiness ([] and 0 are false)
// Anything else (partials, @data, hashes, other helpers, comments are fine)
// fails the build. Strict: reading a field that is undefined throws, as a
// missing view-model field is a bug. test/emit/templates.test.ts renders the
// same views with Handlebars itself and compares the bytes.
//
// `node scripts/gen-templates.mjs` rewrites the file (part of `npm run build`);
// `--check` exits 1 if it is stale.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { format } from "prettier";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = "src/emit/templates.gen.ts";
const HELPERS = { sh: "sh", c: "c" };
/** A field name that can follow a dot. */
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A JS identifier for a template name: cgroup.sh -> cgroupSh. */
const fnName = (name) => name.replace(/[.-](.)/g, (_, ch) => ch.toUpperCase());

function fail(file, node, msg) {
  const at = node?.loc ? `${file}:${node.loc.start.line}:${node.loc.start.column + 1}` : file;
  throw new Error(`${at}: ${msg}`);
}

/** Compiles one template's AST into the body of `function (c0) { ... }`. */
function compileTemplate(file, ast) {
  let n = 0;
  const out = [];
  const emit = (indent, line) => out.push(`${"  ".repeat(indent)}${line}`);

  /** JS expression for a path, given the stack of context variables (innermost last). */
  const pathExpr = (p, stack, asText = false) => {
    if (p.type !== "PathExpression") fail(file, p, `only paths are supported here, not ${p.type}`);
    if (p.data)
      fail(file, p, "@data variables are not supported (templates compile with data: false)");
    if (p.depth >= stack.length) fail(file, p, `${p.original} reaches above the template's root`);
    let e = stack[stack.length - 1 - p.depth];
    // Strict lookups inline (a call per field is measurable on a cold run):
    // `o.k ?? $absent(o, "k")` is null for a null field and throws for a
    // missing one. The last part of a {{value}} uses $blank, which gives ""
    // for null (`o += null` would add "null").
    if (p.parts.length === 0 && asText) return `(${e} ?? "")`; // {{this}}
    p.parts.forEach((part, i) => {
      const prop = IDENT.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
      const slow = asText && i === p.parts.length - 1 ? "$blank" : "$absent";
      e = `(${e}${prop} ?? ${slow}(${e}, ${JSON.stringify(part)}))`;
    });
    return e;
  };

  const valueExpr = (node, stack) => {
    const params = node.params ?? [];
    if (node.hash) fail(file, node, "hash arguments are not supported");
    if (params.length === 0) return pathExpr(node.path, stack, true);
    const helper = node.path.original;
    if (!(helper in HELPERS) || params.length !== 1)
      fail(file, node, `unknown helper call {{${helper} ...}} (known: sh, c with one argument)`);
    used.add(helper);
    return `${HELPERS[helper]}(${pathExpr(params[0], stack)})`;
  };

  const program = (prog, stack, indent) => {
    for (const s of prog.body) {
      switch (s.type) {
        case "ContentStatement":
          if (s.value !== "") emit(indent, `o += ${JSON.stringify(s.value)};`);
          break;
        case "CommentStatement":
          break;
        case "MustacheStatement":
          if (s.path.type !== "PathExpression")
            fail(file, s, "only paths and helper calls are supported");
          emit(indent, `o += ${valueExpr(s, stack)};`);
          break;
        case "BlockStatement": {
          const helper = s.path.original;
          if ((helper !== "each" && helper !== "if") || s.params.length !== 1 || s.hash)
            fail(file, s, `unsupported block {{#${helper}}} (only #each and #if with one path)`);
          if (s.program.blockParams) fail(file, s, "block parameters are not supported");
          const v = `v${n++}`;
          emit(indent, `const ${v} = ${pathExpr(s.params[0], stack)};`);
          if (helper === "if") {
            // Strings (notes, sources) are the common case: no call for them.
            emit(indent, `if (typeof ${v} === "string" ? ${v} !== "" : $truthy(${v})) {`);
            program(s.program, stack, indent + 1);
            if (s.inverse) {
              emit(indent, "} else {");
              program(s.inverse, stack, indent + 1);
            }
            emit(indent, "}");
          } else {
            const i = `i${n++}`;
            const a = `a${n++}`;
            const c = `c${n++}`;
            emit(indent, `const ${a} = $list(${v});`);
            emit(indent, `for (let ${i} = 0; ${i} < ${a}.length; ${i}++) {`);
            emit(indent + 1, `const ${c} = ${a}[${i}];`);
            program(s.program, [...stack, c], indent + 1);
            emit(indent, "}");
            if (s.inverse) {
              emit(indent, `if (${a}.length === 0) {`);
              program(s.inverse, stack, indent + 1);
              emit(indent, "}");
            }
          }
          break;
        }
        default:
          fail(file, s, `${s.type} is not supported`);
      }
    }
  };
  program(ast, ["c0"], 1);
  return out.join("\n");
}

const BANNER = `/* Generated by scripts/gen-templates.mjs from templates/*.hbs (part of \`npm run build\`). Do not edit. */
`;
const PRELUDE = `
type View = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Strict lookup, \`o.k ?? $absent(o, k)\`: a null field is null, a field that
 * is not there is a bug in the view model. (Reading a field of null or
 * undefined throws a TypeError before this is reached.)
 */
function $absent(o: View, k: string): null {
  if (o[k] === null) return null;
  throw new InternalError(\`template field "\${k}" is not defined\`);
}
/** The same for {{value}} (noEscape): a null field renders as nothing. */
const $blank = (o: View, k: string): string => $absent(o, k) ?? "";
/** Handlebars' {{#if}}: false for falsy values and empty arrays. */
const $truthy = (v: unknown): boolean => !!v && !(Array.isArray(v) && v.length === 0);
/** {{#each}}: arrays only (nothing for null/false); anything else is a bug. */
function $list(v: unknown): readonly View[] {
  if (Array.isArray(v)) return v;
  if (v === null || v === false) return [];
  throw new InternalError(\`{{#each}} over \${typeof v}\`);
}
`;
/** Helper definitions, emitted only when a template uses them (noUnusedLocals). */
const HELPER_CODE = {
  // No memo: remembering the last word quoted at each {{sh}} site (a cgroup's
  // path is quoted on every line that writes one of its files) saved 2.1 ms
  // of a cold 1,000-context cgroup.sh render (21.5 against 23.6 ms CPU,
  // median of 15 alternating fresh processes; warm, 2.5 ms the other way),
  // about 0.6% of the compile, for process-wide state: it went.
  sh: `function sh(s: unknown): string {
  if (typeof s !== "string") throw new InternalError(\`sh helper given \${typeof s}\`);
  return shQuote(s);
}
`,
  c: `const c = (s: unknown): string => commentText(String(s));
`,
};
const used = new Set();

/** The generated module's text (prettier-formatted like the rest of src/). */
export async function generate() {
  used.clear();
  const names = readdirSync(`${root}templates`)
    .filter((f) => f.endsWith(".hbs"))
    .sort();
  const fns = [];
  const table = [];
  for (const f of names) {
    const name = f.slice(0, -".hbs".length);
    const src = readFileSync(`${root}templates/${f}`, "utf8");
    const ast = Handlebars.parse(src);
    fns.push(
      `\n/** templates/${f} */\nfunction ${fnName(name)}(c0: View): string {\n  let o = "";\n${compileTemplate(`templates/${f}`, ast)}\n  return o;\n}\n`,
    );
    table.push(`  ${JSON.stringify(name)}: ${fnName(name)},`);
  }
  const helpers = Object.keys(HELPER_CODE).filter((h) => used.has(h));
  const imports = helpers.map((h) => ({ sh: "shQuote", c: "commentText" })[h]).sort();
  const parts = [BANNER, `import { InternalError } from "../diag/internal-error.js";\n`];
  if (imports.length) parts.push(`import { ${imports.join(", ")} } from "./quote.js";\n`);
  parts.push(PRELUDE, ...helpers.map((h) => HELPER_CODE[h]), ...fns);
  parts.push(`\nexport const templates = {\n${table.join("\n")}\n} as const;\n`);
  return format(parts.join(""), { parser: "typescript", printWidth: 100 });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generate();
  const path = `${root}${OUT}`;
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current !== text) {
      process.stderr.write(
        `${OUT} is stale: run \`node scripts/gen-templates.mjs\` and commit it\n`,
      );
      process.exit(1);
    }
  } else {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    // Leave the file (and its mtime) alone when nothing changed.
    if (current !== text) writeFileSync(path, text);
  }
}
