/**
 * The parser's fast path: one recursive-descent pass from the lexer's token
 * stream straight to the AST, for input without mistakes.
 *
 * The Chevrotain grammar (grammar/parser.ts) is the definition of the
 * language: it recovers from errors and words every syntax diagnostic.
 * Its price is paid per token (a CST node per statement, label arrays, a
 * closure per alternative) and, per process, the grammar's analysis at
 * construction (~14 ms). Most files have no syntax errors, and those are the
 * files whose size matters (a host with thousands of contexts compiled in
 * CI), so `parseSource` tries this path first and hands the file to the
 * Chevrotain parser the moment anything is not plainly valid: a bad token, a
 * statement key the block does not know (an `Unknown` statement, which the
 * checker reports), a missing brace or value. Giving up is always safe; the
 * file is then parsed again from the start as before.
 *
 * The contract, enforced by test/syntax/fast-parse.test.ts over the examples,
 * the spec's snippets and thousands of fuzzed inputs: whenever this path
 * returns items, the Chevrotain path returns the same AST (same objects,
 * same key order, same spans) and no syntax error. Statement alternatives are
 * chosen exactly as the grammar chooses them: on the key's token type, in the
 * grammar's order, using the token categories of grammar/tokens.ts.
 */
import type { IToken, TokenType } from "chevrotain";
import { Scanner, unquote } from "../../grammar/lexer.js";
import { sortDiagnostics } from "../diag/diagnostic.js";
import * as T from "../../grammar/tokens.js";
import type {
  Allow,
  Block,
  Decl,
  Ident,
  Item,
  Scalar,
  Setting,
  Span,
  Stmt,
  SubBlock,
  Value,
} from "./ast.js";
import { comments, dedupe, lexDiagnostic, type Parsed } from "./lex-diagnostics.js";
import { literal } from "./literal.js";
import { LineMap, joinSpans as join } from "./span.js";

/** Thrown to abandon the fast path; never escapes `fastParse`. */
const GIVE_UP = Symbol("give up");

/** The keyword token types whose categories include `category`: the keys a block knows. */
function keysOf(category: TokenType): ReadonlySet<TokenType> {
  return new Set([...T.KEYWORDS.values()].filter((k) => k.CATEGORIES?.includes(category)));
}

/** Valid names: a plain name or any keyword (the grammar's `Identifier`, minus `BadName`). */
const NAMES: ReadonlySet<TokenType> = new Set([T.Name, ...T.KEYWORDS.values()]);
/** Tokens that are not values: punctuation (the grammar's `Scalar` is everything else). */
const PUNCT: ReadonlySet<TokenType> = new Set([T.LCurly, T.RCurly, T.Comma, T.Equals]);
/** The grammar's `Literal` category, minus `BadValue`. */
const LITERALS: ReadonlySet<TokenType> = new Set([
  T.StringLit,
  T.CpuQuantity,
  T.NumberLit,
  T.Quantity,
  T.Address,
  T.Var,
  T.DevNum,
  T.Range,
  T.Max,
]);
/** `StmtKey` minus `BadName`: what may start an rlimit statement. */
const STMT_KEYS: ReadonlySet<TokenType> = new Set([T.Name, ...keysOf(T.StmtKey)]);

/** How a statement is read, chosen by its key. */
type Rule = (p: FastParser) => Stmt;
/** A body's statements by key token type: the grammar's alternatives for that body. */
type Body = ReadonlyMap<TokenType, Rule>;

const kv: Rule = (p) => p.setting(0);
const kv1: Rule = (p) => p.setting(1);

/** The grammar's alternatives, in its order: an earlier one wins a key that several match. */
function body(...alts: [Iterable<TokenType>, Rule][]): Body {
  const m = new Map<TokenType, Rule>();
  for (const [keys, rule] of alts) for (const k of keys) if (!m.has(k)) m.set(k, rule);
  return m;
}

const RLIMIT = body([STMT_KEYS, (p) => p.rlimit()]);
const CPU = body([keysOf(T.CpuKey), kv]);
const MEMORY = body([keysOf(T.MemoryKey), kv]);
const PIDS = body([keysOf(T.PidsKey), kv]);
const DEVICE = body([keysOf(T.DeviceKey), kv]);
const IO = body([keysOf(T.IoKey), kv], [[T.Device], (p) => p.subBlock(DEVICE)]);
const LINK = body([keysOf(T.LinkKey), kv]);
const NET = body(
  [keysOf(T.NetKey), kv],
  [[T.Link], (p) => p.subBlock(LINK)],
  [[T.Allow], (p) => p.allow()],
);
const SECURITY = body([[T.Capabilities], kv1], [keysOf(T.SecurityKey), kv]);
const HOST = body(
  [keysOf(T.HostKey), kv],
  [[T.Disk], kv1],
  [[T.Link], (p) => p.hostLink()],
  [[T.Keep, T.Overbook], kv1],
);
const NODE = body(
  [keysOf(T.NodeKey), kv],
  [[T.Cpu], (p) => p.block(CPU)],
  [[T.Memory], (p) => p.block(MEMORY)],
  [[T.Pids], (p) => p.block(PIDS)],
  [[T.Io], (p) => p.block(IO)],
  [[T.Net], (p) => p.block(NET)],
  [[T.Rlimit], (p) => p.block(RLIMIT)],
  [[T.Security], (p) => p.block(SECURITY)],
);

/**
 * `text` parsed by the fast path with the lexer's diagnostics, or undefined
 * if it needs the grammar (parse.ts's parseSource then parses it again).
 */
export function parseFast(text: string, file: string): Parsed | undefined {
  const scanner = new Scanner(text);
  const items = fastParse(scanner, file);
  if (items === undefined) return undefined;
  // The fast path read the whole text, so the lexer's issues are complete.
  const lines = new LineMap(text, file);
  return {
    file: { file, text, items, comments: comments(scanner.comments, file) },
    diagnostics: dedupe(sortDiagnostics(scanner.issues.map((i) => lexDiagnostic(i, lines)))),
  };
}

/**
 * The items of `scanner`'s text, or undefined if the text needs the
 * Chevrotain parser (then nothing of this attempt is kept: the caller starts
 * over with a fresh scanner).
 */
export function fastParse(scanner: Scanner, file: string): Item[] | undefined {
  try {
    return new FastParser(scanner, file).items();
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

class FastParser {
  /** The next token (one token of lookahead is all the grammar needs). */
  private la: IToken | undefined;

  constructor(
    private readonly scanner: Scanner,
    private readonly file: string,
  ) {
    this.la = scanner.next();
  }

  items(): Item[] {
    const out: Item[] = [];
    for (let t = this.la; t !== undefined; t = this.la) {
      const type = t.tokenType;
      if (type === T.Define) out.push(this.define());
      else if (type === T.Include) out.push(this.include());
      else if (type === T.Host || type === T.Template || type === T.Class || type === T.Context)
        out.push(this.decl());
      else throw GIVE_UP;
    }
    return out;
  }

  // ---------------------------------------------------------------- tokens

  private take(): IToken {
    const t = this.la;
    if (t === undefined) throw GIVE_UP;
    this.la = this.scanner.next();
    return t;
  }

  private expect(type: TokenType): IToken {
    if (this.la?.tokenType !== type) throw GIVE_UP;
    return this.take();
  }

  private is(type: TokenType): boolean {
    return this.la?.tokenType === type;
  }

  private span(t: IToken): Span {
    const line = t.startLine!;
    const col = t.startColumn!;
    const len = t.image.length;
    // Tokens lie on one line (see the lexer); same fields as tokenSpan().
    return {
      file: this.file,
      start: t.startOffset,
      end: t.startOffset + len,
      line,
      col,
      endLine: line,
      endCol: col + len,
    };
  }

  /** A name where the grammar wants an `Identifier`. */
  private ident(t: IToken): Ident {
    if (!NAMES.has(t.tokenType)) throw GIVE_UP;
    return { kind: "Ident", name: t.image, span: this.span(t) };
  }

  // ---------------------------------------------------------------- items

  private define(): Item {
    const key = this.take();
    const name = this.ident(this.take());
    this.expect(T.Equals);
    const value = this.value();
    return { kind: "Define", name, value, span: join(this.span(key), value.span) };
  }

  private include(): Item {
    const key = this.take();
    const p = this.expect(T.StringLit);
    const path = { kind: "String" as const, value: unquote(p.image), span: this.span(p) };
    return { kind: "Include", path, span: join(this.span(key), path.span) };
  }

  private decl(): Decl {
    const key = this.take();
    const keyword = key.image as Decl["keyword"];
    const name = this.ident(this.take());
    let parent: Ident | undefined;
    if (this.is(T.In) && (keyword === "class" || keyword === "context")) {
      this.take();
      parent = this.ident(this.take());
    }
    const { body, bodySpan } = this.body(keyword === "host" ? HOST : NODE);
    const decl: Decl = {
      kind: "Decl",
      keyword,
      name,
      body,
      bodySpan,
      span: join(this.span(key), bodySpan),
    };
    if (parent) decl.parent = parent;
    return decl;
  }

  // ---------------------------------------------------------------- bodies

  /** `{ stmt* }` with the statements `rules` knows; any other key gives up (an unknown key is the checker's). */
  private body(rules: Body): { body: Stmt[]; bodySpan: Span } {
    const open = this.expect(T.LCurly);
    const body: Stmt[] = [];
    for (let t = this.la; t !== undefined && t.tokenType !== T.RCurly; t = this.la) {
      const rule = rules.get(t.tokenType);
      if (rule === undefined) throw GIVE_UP;
      body.push(rule(this));
    }
    const close = this.expect(T.RCurly);
    // `{ ... }` as one span (what joinSpans of the two braces' spans gives).
    const bodySpan: Span = {
      file: this.file,
      start: open.startOffset,
      end: close.startOffset + 1,
      line: open.startLine!,
      col: open.startColumn!,
      endLine: close.startLine!,
      endCol: close.startColumn! + 1,
    };
    return { body, bodySpan };
  }

  /** `key NAME{args} value`: the key, `args` names, then one value or a comma list. */
  setting(args: number): Setting {
    const key = this.ident(this.take());
    const values: Value[] = [];
    for (let i = 0; i < args; i++) values.push(this.ident(this.take()));
    const value = this.value();
    values.push(value);
    return { kind: "Setting", key, values, span: join(key.span, value.span) };
  }

  /** `link NAME rate RATE` in a host. */
  hostLink(): Setting {
    const key = this.ident(this.take());
    const name = this.ident(this.take());
    const rate = this.ident(this.expect(T.Rate));
    const value = this.value();
    return {
      kind: "Setting",
      key,
      values: [name, rate, value],
      span: join(key.span, value.span),
    };
  }

  /** `NAME soft [hard]` in an rlimit block: each literal is its own value. */
  rlimit(): Setting {
    const key = this.ident(this.take());
    const values: Value[] = [this.literal()];
    if (this.la !== undefined && LITERALS.has(this.la.tokenType)) values.push(this.literal());
    return {
      kind: "Setting",
      key,
      values,
      span: join(key.span, values[values.length - 1]!.span),
    };
  }

  private literal(): Scalar {
    const t = this.take();
    if (!LITERALS.has(t.tokenType)) throw GIVE_UP;
    return this.scalar(t);
  }

  block(rules: Body): Block {
    const key = this.ident(this.take());
    const { body, bodySpan } = this.body(rules);
    return { kind: "Block", key, body, bodySpan, span: join(key.span, bodySpan) };
  }

  /** `link NAME { ... }` in net, `device NAME { ... }` in io. */
  subBlock(rules: Body): SubBlock {
    const key = this.ident(this.take());
    const label = this.ident(this.take());
    const { body, bodySpan } = this.body(rules);
    return { kind: "SubBlock", key, label, body, bodySpan, span: join(key.span, bodySpan) };
  }

  /** allow (in|out) PROTO? ((from|to) LIST)? (port LIST)? */
  allow(): Allow {
    const key = this.take();
    const dir = this.take();
    if (dir.tokenType !== T.In && dir.tokenType !== T.Out) throw GIVE_UP;
    const direction = this.ident(dir);
    const a: Allow = { kind: "Allow", direction, span: this.span(key) };
    let end = direction.span;
    if (this.is(T.Name)) end = (a.proto = this.ident(this.take())).span;
    if (this.is(T.From) || this.is(T.To)) {
      a.peerKeyword = this.ident(this.take());
      a.peers = this.list();
      end = a.peers[a.peers.length - 1]!.span;
    }
    if (this.is(T.Port)) {
      this.take();
      a.ports = this.list();
      end = a.ports[a.ports.length - 1]!.span;
    }
    a.span = join(a.span, end);
    return a;
  }

  // ---------------------------------------------------------------- values

  /** One value or more, comma separated. */
  private list(): Scalar[] {
    const items = [this.scalar(this.take())];
    while (this.is(T.Comma)) {
      this.take();
      items.push(this.scalar(this.take()));
    }
    return items;
  }

  /** A value: one scalar, or a `List` for a comma list. */
  private value(): Value {
    const items = this.list();
    if (items.length === 1) return items[0]!;
    return {
      kind: "List",
      items,
      span: join(items[0]!.span, items[items.length - 1]!.span),
    };
  }

  private scalar(t: IToken): Scalar {
    if (PUNCT.has(t.tokenType)) throw GIVE_UP;
    // Names and keywords are idents; BadName and BadValue give up there.
    return literal(t, this.span(t)) ?? this.ident(t);
  }
}
