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
 * Limits (docs/security.md): an included file must be named `*.vsc` (VSC1023)
 * and lie inside the entry file's directory tree, also once symlinks are
 * resolved (VSC1024); every file must be a regular file (VSC1020); all files
 * together hold at most MAX_INPUT_BYTES (VSC1021); include chains are at most
 * MAX_INCLUDE_DEPTH files deep (VSC1022).
 */
import { posix } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import type { Include, Item, Program, SourceFile } from "./ast.js";
import type { Parsed } from "./lex-diagnostics.js";

/** A parser for one file; undefined means "cannot parse this", and the whole load gives up. */
export type ParseFn = (text: string, file: string) => Parsed | undefined;

/** 16 MiB: the 60,000-context benchmark configuration, the largest generated, is 12.4 MiB. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;
/** Real configurations nest a few levels; this bounds the loader's recursion. */
export const MAX_INCLUDE_DEPTH = 64;

/** What a host answers for a file: its text (and the path it really is), or why not. */
export type HostRead =
  | string
  | undefined
  | { ok: true; text: string; /** Symlinks resolved. */ realPath: string }
  | { ok: false; reason: "missing" | "unreadable" | "not-regular" | "too-large"; detail: string };

export interface SourceHost {
  /**
   * The file's text, or why it cannot be had; undefined if it does not exist
   * or cannot be read. A host that can tell refuses anything but a regular
   * file, and a file over `maxBytes`, without reading it.
   */
  readFile(path: string, maxBytes: number): HostRead;
  /**
   * Files (not directories) matching `pattern`, a glob relative to `cwd`.
   * Returned paths are relative to `cwd` with forward slashes; order does not
   * matter (the loader sorts).
   */
  glob(pattern: string, cwd: string): string[];
  /** A directory's path with symlinks resolved (hosts without symlinks need not say). */
  realPath?(dir: string): string | undefined;
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
  /** Bytes read so far, against MAX_INPUT_BYTES. */
  let total = 0;

  const program: Program = { entry: display(entryFull), files, items };
  const entry = normalizeRead(host.readFile(entryFull, MAX_INPUT_BYTES));
  if (!entry.ok) {
    diagnostics.push(unreadable(entry, `\`${entryPath}\``));
    return { program, diagnostics };
  }
  total += Buffer.byteLength(entry.text, "utf8");
  /** The entry file's directory with symlinks resolved: includes must stay inside it. */
  const realRoot = host.realPath?.(baseDir);

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
      // A glob that starts outside the tree is refused before it walks it (`../../**` would walk /).
      if (isOutside(baseDir, posix.normalize(posix.join(dir, pattern)))) {
        diagnostics.push({
          code: "VSC1024",
          severity: "error",
          message: `include \`${pattern}\` is outside the entry file's directory`,
          span: inc.path.span,
          help: "included files must lie in the entry file's directory or below it; move the files there",
        });
        return;
      }
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
      // Checked on the path as written before anything is opened, and on the real path after.
      // A literal include is named as written, a glob's match by its path.
      const shown = hasGlobChars(pattern) ? display(m) : pattern;
      const refusal = refuseInclude(m, shown, undefined);
      if (refusal) {
        diagnostics.push({ ...refusal, span: inc.path.span });
        continue;
      }
      if (stack.length >= MAX_INCLUDE_DEPTH) {
        diagnostics.push({
          code: "VSC1022",
          severity: "error",
          message: `includes nested more than ${MAX_INCLUDE_DEPTH} files deep`,
          span: inc.span,
          label: `this include would be level ${stack.length + 1}`,
          help: "flatten the includes: one file can include many",
          notes: [`chain starts: ${stack.slice(0, 3).map(display).join(" -> ")} -> ...`],
        });
        // One report per chain: everything below this include is not loaded.
        continue;
      }
      const r = normalizeRead(host.readFile(m, MAX_INPUT_BYTES - total));
      if (!r.ok) {
        const literal = !hasGlobChars(pattern);
        if (r.reason === "missing" && literal) {
          diagnostics.push({
            code: "VSC2001",
            severity: "error",
            message: `include \`${pattern}\` matches no file`,
            span: inc.path.span,
            help: `the path is relative to this file's directory; no file \`${display(m)}\` exists`,
          });
        } else diagnostics.push({ ...unreadable(r, `\`${display(m)}\``), span: inc.path.span });
        continue;
      }
      const late = r.realPath !== undefined ? refuseInclude(m, shown, r.realPath) : undefined;
      if (late) {
        diagnostics.push({ ...late, span: inc.path.span });
        continue;
      }
      total += Buffer.byteLength(r.text, "utf8");
      visit(m, r.text);
    }
  };

  /** An include must name a `.vsc` file inside the entry file's directory tree. */
  const refuseInclude = (
    m: string,
    shown: string,
    real: string | undefined,
  ): Diagnostic | undefined => {
    const outside =
      real === undefined
        ? isOutside(baseDir, m)
        : realRoot !== undefined && isOutside(realRoot, real);
    if (outside) {
      return {
        code: "VSC1024",
        severity: "error",
        message: `include \`${shown}\` is outside the entry file's directory${real !== undefined ? ` (it resolves to ${real})` : ""}`,
        help: "included files must lie in the entry file's directory or below it; move the file there",
      };
    }
    const name = real ?? m;
    if (!name.endsWith(".vsc")) {
      return {
        code: "VSC1023",
        severity: "error",
        message:
          real === undefined
            ? `include \`${shown}\` is not a .vsc file`
            : `include \`${shown}\` resolves to ${real}, which is not a .vsc file`,
        help: "only files named *.vsc can be included; rename the file or narrow the pattern",
      };
    }
    return undefined;
  };

  visit(entryFull, entry.text);
  return gaveUp ? undefined : { program, diagnostics };
}

/** Whether `path` (normalised) lies outside directory `root` (normalised). */
function isOutside(root: string, path: string): boolean {
  const rel = posix.relative(root, path);
  return rel === "" || rel === ".." || rel.startsWith("../") || posix.isAbsolute(rel);
}

type Read =
  | { ok: true; text: string; realPath?: string }
  | { ok: false; reason: "missing" | "unreadable" | "not-regular" | "too-large"; detail: string };

function normalizeRead(r: HostRead): Read {
  if (r === undefined) return { ok: false, reason: "missing", detail: "" };
  if (typeof r === "string") return { ok: true, text: r };
  return r;
}

/** The diagnostic for a file that cannot be read; the caller adds the include's span. */
function unreadable(r: Read & { ok: false }, what: string): Diagnostic {
  switch (r.reason) {
    case "not-regular":
      return {
        code: "VSC1020",
        severity: "error",
        message: `${what} is not a regular file: it is ${r.detail}`,
        help: "vsc reads only regular files; name the .vsc file itself",
      };
    case "too-large":
      return {
        code: "VSC1021",
        severity: "error",
        message: `${what} is too large: the entry file and its includes may hold ${MAX_INPUT_BYTES / 1048576} MiB together`,
        notes: [
          /^\d+$/.test(r.detail)
            ? `this file alone is ${(Number(r.detail) / 1048576).toFixed(1)} MiB`
            : r.detail,
        ].filter((n) => n !== ""),
        help: "check that the right file is named, or split the configuration",
      };
    default:
      return {
        code: "VSC2003",
        severity: "error",
        message: `cannot read ${what}${r.detail ? `: ${r.detail}` : ""}`,
        help: "check the path and that the file is readable",
      };
  }
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
    readFile: (path, maxBytes) => {
      const text = byPath.get(posix.normalize(path));
      if (text === undefined) return { ok: false, reason: "missing", detail: "ENOENT" };
      const size = Buffer.byteLength(text, "utf8");
      return size > maxBytes ? { ok: false, reason: "too-large", detail: String(size) } : text;
    },
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
