/**
 * formatSource: the canonical layout of a .vsc file (`vsc fmt`). The style is
 * fixed (like gofmt): it does not depend on how the input was laid out,
 * except for blank lines, which are kept (at most one) where the writer put
 * them, and blocks of several statements the writer wrote on one line, which
 * stay on one line when they fit. The rules are in docs/syntax.md ("Formatting"). Comments are kept:
 * each is attached to the statement it trails or precedes, to the `{` of the
 * block it follows, or to the end of its block, and printed there.
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import { hasErrors } from "../diag/diagnostic.js";
import { parseSource } from "../syntax/parse.js";
import type {
  Comment,
  Decl,
  Item,
  PeerPort,
  Scalar,
  SourceFile,
  Span,
  Stmt,
  Value,
} from "../syntax/ast.js";

/** Lines longer than this are not produced by joining a block onto one line. */
export const LINE_WIDTH = 100;
const INDENT = "  ";

export function formatSource(
  text: string,
  file: string,
): { text: string | undefined; diagnostics: Diagnostic[] } {
  const { file: sf, diagnostics } = parseSource(text, file);
  if (hasErrors(diagnostics)) return { text: undefined, diagnostics };
  return { text: printSourceFile(sf), diagnostics };
}

// ---------------------------------------------------------------- comment attachment

type Node = Item | Stmt;
/** Something with a `{ ... }` body; the file itself is the root container. */
type Container = SourceFile | Node;

interface Attachments {
  leading: Map<Node, Comment[]>;
  trailing: Map<Node, Comment[]>;
  /** Comments on the line of a container's `{`. */
  opener: Map<Container, Comment[]>;
  /** Own-line comments after a container's last child. */
  dangling: Map<Container, Comment[]>;
}

function bodyOf(n: Container): { children: Node[]; bodySpan?: Span } | undefined {
  if ("items" in n) return { children: n.items };
  switch (n.kind) {
    case "Decl":
    case "Block":
    case "SubBlock":
      return { children: n.body, bodySpan: n.bodySpan };
    case "Unknown":
      return n.body ? { children: n.body } : undefined;
    case "Setting":
      return n.body ? { children: n.body, bodySpan: n.bodySpan! } : undefined;
    default:
      return undefined;
  }
}

/** Where an unknown statement's head ends (its body, which has no span of its own, follows). */
function headEnd(n: Node): number {
  if (n.kind === "Setting" && n.body) return n.values[n.values.length - 1]!.span.end;
  if (n.kind !== "Unknown") return n.span.end;
  const last = n.values[n.values.length - 1];
  return (last ?? n.key).span.end;
}

function push<K>(m: Map<K, Comment[]>, k: K, c: Comment): void {
  const a = m.get(k);
  if (a) a.push(c);
  else m.set(k, [c]);
}

/** True if nothing but blanks precedes the comment on its line. */
function ownLine(text: string, c: Comment): boolean {
  for (let i = c.span.start - 1; i >= 0; i--) {
    const ch = text.charCodeAt(i);
    if (ch === 10 || ch === 13) return true;
    if (ch !== 32 && ch !== 9) return false;
  }
  return true;
}

function attachComments(sf: SourceFile): Attachments {
  const at: Attachments = {
    leading: new Map(),
    trailing: new Map(),
    opener: new Map(),
    dangling: new Map(),
  };
  for (const c of sf.comments) {
    const own = ownLine(sf.text, c);
    let container: Container = sf;
    for (;;) {
      const children: Node[] = bodyOf(container)!.children;
      const inside: Node | undefined = children.find(
        (ch) => ch.span.start < c.span.start && c.span.start < ch.span.end,
      );
      if (inside) {
        const b = bodyOf(inside);
        const bodyStart = b?.bodySpan ? b.bodySpan.start : b ? headEnd(inside) : Infinity;
        if (b && bodyStart < c.span.start) {
          container = inside;
          continue;
        }
        // Inside a statement but not in a body (e.g. between list items): keep it with the statement.
        push(own ? at.leading : at.trailing, inside, c);
        break;
      }
      if (!own) {
        let prev: Node | undefined;
        for (const ch of children) if (ch.span.end <= c.span.start) prev = ch;
        if (prev && prev.span.endLine === c.span.line) push(at.trailing, prev, c);
        else push(at.opener, container, c);
        break;
      }
      const next = children.find((ch) => ch.span.start >= c.span.end);
      if (next) push(at.leading, next, c);
      else push(at.dangling, container, c);
      break;
    }
  }
  return at;
}

// ---------------------------------------------------------------- values

function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, "\\$&") + '"';
}

function scalar(v: Scalar): string {
  switch (v.kind) {
    case "Ident":
      return v.name;
    case "String":
      return quote(v.value);
    case "Max":
      return "max";
    case "Var":
      return "$" + v.name;
    default:
      return v.text;
  }
}

function value(v: Value): string {
  return v.kind === "List" ? v.items.map(scalar).join(", ") : scalar(v);
}

/** A statement without its body. */
function head(n: Node): string {
  switch (n.kind) {
    case "Setting":
      return [n.key.name, ...n.values.map(value)].join(" ");
    case "Allow":
      return ["allow", n.direction.name, peerPort(n)].filter((x) => x !== "").join(" ");
    case "Match":
      return "match " + n.clauses.map(peerPort).join(", ");
    case "Unknown":
      return [n.key.name, ...n.values.map(value)].join(" ");
    case "Block":
      return n.key.name;
    case "SubBlock":
      return n.key.name + " " + n.label.name;
    case "Decl":
      return (
        `${n.keyword} ${n.name.name}${n.parent ? " in " + n.parent.name : ""}` +
        (n.on ? " on " + n.on.map((h) => h.name).join(", ") : "")
      );
    case "Group":
      return `group ${n.name.name} = ${n.members.map((h) => h.name).join(", ")}`;
    case "Define":
      return `define ${n.name.name} = ${value(n.value)}`;
    case "Include":
      return "include " + quote(n.path.value);
  }
}

/** The peer and port part shared by `allow` and each alternative of `match`. */
function peerPort(n: PeerPort): string {
  const parts: string[] = [];
  if (n.proto) parts.push(n.proto.name);
  if (n.peerKeyword && n.peers)
    parts.push(
      n.peerKeyword.name +
        " " +
        n.peers
          .map((p) => (p.kind === "PeerName" ? `${p.keyword.name} ${p.name.name}` : scalar(p)))
          .join(", "),
    );
  if (n.except) parts.push("except " + n.except.map(scalar).join(", "));
  if (n.ports) parts.push("port " + n.ports.map(scalar).join(", "));
  return parts.join(" ");
}

// ---------------------------------------------------------------- layout

interface Line {
  text: string;
  comment?: string;
  /** Trailing comments of consecutive lines with the same run id are aligned. */
  run: number;
}

class Printer {
  readonly lines: Line[] = [];
  private runs = 0;
  constructor(
    private readonly src: string,
    private readonly at: Attachments,
  ) {}

  private emit(text: string, comment: string | undefined, run: number): void {
    const l: Line = { text, run };
    if (comment !== undefined) l.comment = comment;
    this.lines.push(l);
  }
  private blank(): void {
    this.lines.push({ text: "", run: -1 });
  }

  private hasCommentsWithin(n: Node): boolean {
    if (this.at.opener.has(n) || this.at.dangling.has(n)) return true;
    const b = bodyOf(n);
    if (!b) return false;
    return b.children.some(
      (ch) => this.at.leading.has(ch) || this.at.trailing.has(ch) || this.hasCommentsWithin(ch),
    );
  }

  /** The one-line form of a statement, or undefined if it must be expanded. */
  private inline(n: Node, indent: string): string | undefined {
    const b = bodyOf(n);
    if (!b) return head(n);
    if (n.kind === "Decl" && n.span.line !== n.span.endLine) {
      // A declaration is expanded unless empty, or written on one line by its
      // author (the spec's `context api in tenant { id 301  net { ... } }`)
      // and still fitting: then the block rules below keep it on one line.
      return b.children.length === 0 && !this.hasCommentsWithin(n) ? head(n) + " {}" : undefined;
    }
    if (this.hasCommentsWithin(n)) return undefined;
    if (b.children.length === 0) return head(n) + " {}";
    // Several statements stay on one line (two spaces apart, the language's
    // idiom: `cpu { share 4  reserve 25% }`) only when the writer put them on
    // one line; one statement is joined whenever it fits.
    if (b.children.length > 1 && n.span.line !== n.span.endLine) return undefined;
    const inner: string[] = [];
    for (const ch of b.children) {
      const one = this.inline(ch, indent);
      if (one === undefined) return undefined;
      inner.push(one);
    }
    const s = `${head(n)} { ${inner.join("  ")} }`;
    return indent.length + s.length <= LINE_WIDTH ? s : undefined;
  }

  /** Leading comments go on their own lines; several trailing comments keep only the last trailing. */
  private node(n: Node, indent: string, run: number): boolean {
    const trailing = this.at.trailing.get(n) ?? [];
    const extra = trailing.slice(0, -1);
    const last = trailing[trailing.length - 1]?.text;
    for (const c of extra) this.emit(indent + c.text, undefined, ++this.runs);
    const one = this.inline(n, indent);
    if (one !== undefined) {
      this.emit(indent + one, last, extra.length ? ++this.runs : run);
      return true;
    }
    const b = bodyOf(n)!;
    const opener = this.at.opener.get(n) ?? [];
    this.emit(`${indent}${head(n)} {`, opener[0]?.text, ++this.runs);
    for (const c of opener.slice(1)) this.emit(indent + INDENT + c.text, undefined, ++this.runs);
    this.body(n, b.children, indent + INDENT, false);
    this.emit(indent + "}", last, ++this.runs);
    return false;
  }

  /** Blank lines between two source positions (at most one is kept). */
  private blankBetween(from: number, to: number): boolean {
    let nl = 0;
    for (let i = from; i < to; i++) {
      const ch = this.src.charCodeAt(i);
      if (ch === 10 || (ch === 13 && this.src.charCodeAt(i + 1) !== 10)) {
        if (++nl >= 2) return true;
      } else if (ch !== 32 && ch !== 9 && ch !== 13) nl = 0;
    }
    return false;
  }

  body(container: Container, children: Node[], indent: string, top: boolean): void {
    let prevEnd = -1; // source end of the previous element; -1 before the first
    let prevItem: Node | undefined;
    let run = ++this.runs;
    const startOf = (n: Node): number => n.span.start;
    for (const ch of children) {
      const leading = this.at.leading.get(ch) ?? [];
      let first = true;
      const sep = (start: number): void => {
        let want = prevEnd >= 0 && this.blankBetween(prevEnd, start);
        if (top && first && prevItem && (isDecl(prevItem) || isDecl(ch))) want = true;
        if (want) {
          this.blank();
          run = ++this.runs;
        }
        first = false;
      };
      for (const c of leading) {
        sep(c.span.start);
        this.emit(indent + c.text, undefined, ++this.runs);
        run = ++this.runs;
        prevEnd = c.span.end;
      }
      sep(startOf(ch));
      const single = this.node(ch, indent, run);
      if (!single) run = ++this.runs;
      prevEnd = ch.span.end;
      prevItem = ch;
    }
    for (const c of this.at.dangling.get(container) ?? []) {
      if (prevEnd >= 0 && this.blankBetween(prevEnd, c.span.start)) this.blank();
      this.emit(indent + c.text, undefined, ++this.runs);
      prevEnd = c.span.end;
    }
  }
}

function isDecl(n: Node): n is Decl {
  return n.kind === "Decl";
}

/** Render lines, aligning the trailing comments of each run one column past its longest line + 1. */
function render(lines: Line[]): string {
  const col = new Map<number, number>();
  for (const l of lines) {
    if (l.comment !== undefined) col.set(l.run, Math.max(col.get(l.run) ?? 0, l.text.length + 2));
  }
  let out = "";
  for (const l of lines) {
    if (l.comment === undefined) out += l.text + "\n";
    else out += l.text + " ".repeat(col.get(l.run)! - l.text.length) + l.comment + "\n";
  }
  return out;
}

/** Print a parsed file (no syntax errors) in canonical layout. */
export function printSourceFile(sf: SourceFile): string {
  const p = new Printer(sf.text, attachComments(sf));
  p.body(sf, sf.items, "", true);
  return render(p.lines);
}

/**
 * Prints items (possibly from several files) as one file in canonical
 * layout, without comments: `vsc compile --host H --target vsc` (the host's
 * single-host program). `on` placements are left out: the file has one host.
 */
export function printItems(items: Item[]): string {
  const none: Attachments = {
    leading: new Map(),
    trailing: new Map(),
    opener: new Map(),
    dangling: new Map(),
  };
  const kept = items
    .filter((it) => it.kind !== "Include" && it.kind !== "Group")
    .map((it): Item => {
      if (it.kind !== "Decl" || !it.on) return it;
      const { on: _on, ...rest } = it;
      return rest;
    });
  const p = new Printer("", none);
  p.body({ file: "", text: "", items: kept, comments: [] }, kept, "", true);
  return render(p.lines);
}
