/**
 * loadWith: the entry file plus everything it includes, parsed by `parse`
 * (load.ts's loadProgram binds the full parser; the CLI first tries the fast
 * path alone, which loads without Chevrotain, see src/cli/frontend.ts).
 *
 * All file access goes through a `SourceHost` (the CLI passes one backed by
 * the file system, tests use `memoryHost`). Paths handed to the host are the
 * entry path joined with include patterns (POSIX separators); the include
 * string is only ever data for the host's glob, never part of a command.
 *
 * Rules (documented in docs/syntax.md):
 * - an include pattern is relative to the including file's directory;
 * - its matches are loaded in sorted order (code-unit order of the path);
 * - a pattern without glob characters must name an existing file (VSC2001);
 *   a pattern with glob characters may match nothing (an empty directory of
 *   contexts is not an error);
 * - a file reached again through a different include (or another path that
 *   normalises to the same file) is loaded once, at its first inclusion;
 * - a file that includes itself or one of its includers is a cycle (VSC2002),
 *   reported at the include that closes it.
 */
import { posix } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import type { Include, Item, Program, SourceFile } from "./ast.js";
import type { Parsed } from "./lex-diagnostics.js";

/** A parser for one file; undefined means "cannot parse this", and the whole load gives up. */
export type ParseFn = (text: string, file: string) => Parsed | undefined;

export interface SourceHost {
  /** The file's text, or undefined if it does not exist or cannot be read. */
  readFile(path: string): string | undefined;
  /**
   * Files (not directories) matching `pattern`, a glob relative to `cwd`.
   * Returned paths are relative to `cwd` with forward slashes; order does not
   * matter (the loader sorts).
   */
  glob(pattern: string, cwd: string): string[];
}

const GLOB_CHARS = /[*?[\]{}()!]/;

export function hasGlobChars(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

export function loadWith(
  entryPath: string,
  host: SourceHost,
  parse: ParseFn,
): { program: Program; diagnostics: Diagnostic[] } | undefined {
  const entryFull = posix.normalize(entryPath.replace(/\\/g, "/"));
  const baseDir = posix.dirname(entryFull);
  const display = (full: string): string => posix.relative(baseDir, full) || posix.basename(full);
  const files: SourceFile[] = [];
  const items: Item[] = [];
  const diagnostics: Diagnostic[] = [];
  const loaded = new Set<string>();
  const stack: string[] = [];

  const entryText = host.readFile(entryFull);
  const program: Program = { entry: display(entryFull), files, items };
  if (entryText === undefined) {
    diagnostics.push({
      code: "VSC2003",
      severity: "error",
      message: `cannot read \`${entryPath}\``,
      help: "check the path and that the file is readable",
    });
    return { program, diagnostics };
  }

  /** Whether `parse` gave up on a file. */
  let gaveUp = false;
  const visit = (full: string, text: string): void => {
    loaded.add(full);
    stack.push(full);
    const parsed = parse(text, display(full));
    if (parsed === undefined) {
      gaveUp = true;
      stack.pop();
      return;
    }
    files.push(parsed.file);
    diagnostics.push(...parsed.diagnostics);
    for (const item of parsed.file.items) {
      items.push(item);
      if (item.kind === "Include") includeFiles(full, item);
    }
    stack.pop();
  };

  const includeFiles = (from: string, inc: Include): void => {
    const pattern = inc.path.value;
    const dir = posix.dirname(from);
    if (pattern.trim() === "") {
      diagnostics.push({
        code: "VSC2004",
        severity: "error",
        message: "empty include path",
        span: inc.path.span,
        help: 'write a path or glob relative to this file, e.g. include "contexts/*.vsc"',
      });
      return;
    }
    let matches: string[];
    if (hasGlobChars(pattern)) {
      matches = host
        .glob(pattern, dir)
        .map((p) => posix.normalize(posix.join(dir, p.replace(/\\/g, "/"))))
        .sort(byCodeUnits);
    } else {
      matches = [posix.normalize(posix.join(dir, pattern))];
    }
    for (const m of [...new Set(matches)]) {
      const cycleAt = stack.indexOf(m);
      if (cycleAt >= 0) {
        const chain = [...stack.slice(cycleAt), m].map(display).join(" -> ");
        diagnostics.push({
          code: "VSC2002",
          severity: "error",
          message: `include cycle: ${chain}`,
          span: inc.span,
          label: m === from ? "this file includes itself" : "this include closes the cycle",
          help: hasGlobChars(pattern)
            ? "narrow the pattern so it does not match its own file or an including file (e.g. move included files into a subdirectory)"
            : "remove one of the includes in the cycle",
        });
        continue;
      }
      if (loaded.has(m)) continue;
      const text = host.readFile(m);
      if (text === undefined) {
        const literal = !hasGlobChars(pattern);
        diagnostics.push({
          code: literal ? "VSC2001" : "VSC2003",
          severity: "error",
          message: literal
            ? `include \`${pattern}\` matches no file`
            : `cannot read \`${display(m)}\``,
          span: inc.path.span,
          help: literal
            ? `the path is relative to this file's directory; no file \`${display(m)}\` exists`
            : "check that the file is readable",
        });
        continue;
      }
      visit(m, text);
    }
  };

  visit(entryFull, entryText);
  return gaveUp ? undefined : { program, diagnostics };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An in-memory SourceHost for tests: `files` maps paths (relative or
 * absolute, forward slashes) to text. Globs support `*`, `**`, `?`, `[...]`
 * and `{a,b}`.
 */
export function memoryHost(files: Record<string, string>): SourceHost {
  const byPath = new Map<string, string>();
  for (const [p, t] of Object.entries(files)) byPath.set(posix.normalize(p), t);
  return {
    readFile: (path) => byPath.get(posix.normalize(path)),
    glob: (pattern, cwd) => {
      const re = globToRegExp(posix.normalize(posix.join(cwd, pattern)));
      const out: string[] = [];
      for (const p of byPath.keys()) if (re.test(p)) out.push(posix.relative(cwd, p));
      return out;
    },
  };
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
        i += glob[i + 2] === "/" ? 2 : 1;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i);
      if (end < 0) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, end).replace(/^!/, "^") + "]";
        i = end;
      }
    } else if (c === "{") {
      const end = glob.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re +=
          "(?:" +
          glob
            .slice(i + 1, end)
            .split(",")
            .map(escapeRe)
            .join("|") +
          ")";
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp("^" + re + "$");
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
