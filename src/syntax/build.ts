/**
 * AST nodes from the grammar's drafts (grammar/parser.ts): what each rule
 * collected (its tokens and its sub-rules' nodes) becomes one node. After an
 * error the draft may be partial; a node that lacks a required part, or
 * holds a bad name or value (already reported by the lexer), is dropped
 * (undefined) rather than half-built, so the AST only ever holds valid names.
 */
import type { IToken, TokenType } from "chevrotain";
import { BadName, BadValue, KEYWORDS, Name, Var } from "../../grammar/tokens.js";
import { NAME_RE, unquote } from "../../grammar/lexer.js";
import type {
  Allow,
  Block,
  Decl,
  Define,
  Group,
  Ident,
  Include,
  Match,
  MatchClause,
  Peer,
  PeerPort,
  Scalar,
  Setting,
  Span,
  Stmt,
  SubBlock,
  Unknown,
  Value,
} from "./ast.js";
import { literal } from "./literal.js";
import { joinSpans } from "./span.js";

export interface DefineDraft {
  key?: IToken;
  name?: IToken;
  items: IToken[];
}
export interface IncludeDraft {
  key?: IToken;
  path?: IToken;
}
export interface BodyDraft {
  lcurly?: IToken;
  stmts: Stmt[];
  rcurly?: IToken;
}
export interface DeclDraft extends BodyDraft {
  key?: IToken;
  name?: IToken;
  inKw?: IToken;
  parent?: IToken;
  onKw?: IToken;
  on?: IToken[];
}
export interface GroupDraft {
  key?: IToken;
  name?: IToken;
  members: IToken[];
}
export interface BlockDraft extends BodyDraft {
  key?: IToken;
  /** NAME in `link NAME {` / `device NAME {`. */
  label?: IToken;
}
/** `key ARG* ITEM(, ITEM)*` or, in rlimit, `key LIT LIT?`. */
export interface SettingDraft extends Partial<BodyDraft> {
  key?: IToken;
  /** Names between the key and the value (`disk NAME`, `link NAME rate`). */
  args?: IToken[];
  items: IToken[];
  /** rlimit's one or two values, each its own value. */
  lits?: IToken[];
}
/** What the shared `peerPort` rule fills: the peer and port part of a rule (`allow`, each alternative of `match`). */
export interface PeerPortDraft {
  peerKw?: IToken;
  /** A value's token, or `context|class NAME`. */
  peers: (IToken | { kw: IToken; name: IToken })[];
  exceptKw?: IToken;
  except: IToken[];
  portKw?: IToken;
  ports: IToken[];
  proto?: IToken;
}
export interface AllowDraft extends PeerPortDraft {
  key?: IToken;
  direction?: IToken;
}
export interface MatchDraft {
  key?: IToken;
  clauses: PeerPortDraft[];
}
export interface UnknownDraft extends BodyDraft {
  key?: IToken;
  /** Each literal value after the key; null for one with a bad token. */
  values: (Value | null | undefined)[];
}

/** Thrown (and caught by the builder method) to drop an incomplete node. */
const DROP = Symbol("drop");

function usable(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && !Number.isNaN(t.startOffset);
}
function need(t: IToken | undefined): IToken {
  if (!usable(t)) throw DROP;
  return t;
}

/** A DROP (a missing or bad part) makes no node; anything else is a bug, thrown on. */
function dropped(e: unknown): undefined {
  if (e !== DROP) throw e;
  return undefined;
}

/** The token types of valid names: a plain name or any keyword (never `BadName`). */
const NAMES: ReadonlySet<TokenType> = new Set([Name, ...KEYWORDS.values()]);

export class Build {
  constructor(readonly file: string) {}

  define(d: DefineDraft): Define | undefined {
    try {
      const key = need(d.key);
      const name = this.ident(d.name);
      const value = this.value(d.items);
      return { kind: "Define", name, value, span: joinSpans(this.span(key), value.span) };
    } catch (e) {
      return dropped(e);
    }
  }

  group(d: GroupDraft): Group | undefined {
    try {
      const key = need(d.key);
      const name = this.ident(d.name);
      if (d.members.length === 0) throw DROP;
      const members = d.members.map((t) => this.ident(t));
      return {
        kind: "Group",
        name,
        members,
        span: joinSpans(this.span(key), members[members.length - 1]!.span),
      };
    } catch (e) {
      return dropped(e);
    }
  }

  include(d: IncludeDraft): Include | undefined {
    try {
      const key = need(d.key);
      const p = need(d.path);
      const path = { kind: "String" as const, value: unquote(p.image), span: this.span(p) };
      return { kind: "Include", path, span: joinSpans(this.span(key), path.span) };
    } catch (e) {
      return dropped(e);
    }
  }

  decl(d: DeclDraft): Decl | undefined {
    try {
      const key = need(d.key);
      const name = this.ident(d.name);
      const { body, bodySpan } = this.body(d);
      const decl: Decl = {
        kind: "Decl",
        keyword: key.image as Decl["keyword"],
        name,
        body,
        bodySpan,
        span: joinSpans(this.span(key), bodySpan),
      };
      if (d.inKw !== undefined) decl.parent = this.ident(d.parent);
      if (d.onKw !== undefined) {
        if (!d.on || d.on.length === 0) throw DROP;
        decl.on = d.on.map((t) => this.ident(t));
      }
      return decl;
    } catch (e) {
      return dropped(e);
    }
  }

  setting(d: SettingDraft): Setting | undefined {
    try {
      const key = this.ident(d.key);
      const values: Value[] = d.args ? d.args.map((t) => this.ident(t)) : [];
      if (d.items.length > 0) values.push(this.value(d.items));
      if (d.lits) for (const t of d.lits) values.push(this.scalar(t));
      if (values.length === 0) throw DROP;
      const st: Setting = {
        kind: "Setting",
        key,
        values,
        span: joinSpans(key.span, values[values.length - 1]!.span),
      };
      if (d.lcurly !== undefined) {
        const { body, bodySpan } = this.body({
          lcurly: d.lcurly,
          stmts: d.stmts ?? [],
          rcurly: d.rcurly,
        });
        st.body = body;
        st.bodySpan = bodySpan;
        st.span = joinSpans(st.span, bodySpan);
      }
      return st;
    } catch (e) {
      return dropped(e);
    }
  }

  block(d: BlockDraft): Block | undefined {
    try {
      const key = this.ident(d.key);
      const { body, bodySpan } = this.body(d);
      return { kind: "Block", key, body, bodySpan, span: joinSpans(key.span, bodySpan) };
    } catch (e) {
      return dropped(e);
    }
  }

  subBlock(d: BlockDraft): SubBlock | undefined {
    try {
      const key = this.ident(d.key);
      const { body, bodySpan } = this.body(d);
      const label = this.ident(d.label);
      return { kind: "SubBlock", key, label, body, bodySpan, span: joinSpans(key.span, bodySpan) };
    } catch (e) {
      return dropped(e);
    }
  }

  allow(d: AllowDraft): Allow | undefined {
    try {
      const key = need(d.key);
      const direction = this.ident(d.direction);
      const a: Allow = { kind: "Allow", direction, span: this.span(key) };
      a.span = joinSpans(a.span, this.peerPort(d, a) ?? direction.span);
      return a;
    } catch (e) {
      return dropped(e);
    }
  }

  match(d: MatchDraft): Match | undefined {
    try {
      const key = need(d.key);
      const clauses: MatchClause[] = [];
      for (const c of d.clauses) {
        const first = c.proto ?? c.peerKw ?? c.portKw;
        if (first === undefined) throw DROP;
        const m: MatchClause = { kind: "MatchClause", span: this.span(first) };
        m.span = joinSpans(m.span, this.peerPort(c, m)!);
        clauses.push(m);
      }
      if (clauses.length === 0) throw DROP;
      return {
        kind: "Match",
        clauses,
        span: joinSpans(this.span(key), clauses[clauses.length - 1]!.span),
      };
    } catch (e) {
      return dropped(e);
    }
  }

  /**
   * The peer and port part into `into` (the shared rule's node part); the
   * span of its last token, or undefined if it is empty. Throws DROP (as the
   * caller's other parts do) when a part lacks its values.
   */
  private peerPort(d: PeerPortDraft, into: PeerPort): Span | undefined {
    let end: Span | undefined;
    if (d.proto) end = (into.proto = this.ident(d.proto)).span;
    if (d.peerKw) {
      into.peerKeyword = this.ident(d.peerKw);
      if (d.peers.length === 0) throw DROP;
      const peers: Peer[] = [];
      for (const p of d.peers) {
        if ("kw" in p) {
          const keyword = this.ident(p.kw);
          const name = this.ident(p.name);
          peers.push({ kind: "PeerName", keyword, name, span: joinSpans(keyword.span, name.span) });
        } else peers.push(this.scalar(p));
      }
      into.peers = peers;
      end = peers[peers.length - 1]!.span;
      if (d.exceptKw) {
        into.except = this.scalars(d.except);
        end = into.except[into.except.length - 1]!.span;
      }
    }
    if (d.portKw) {
      into.ports = this.scalars(d.ports);
      end = into.ports[into.ports.length - 1]!.span;
    }
    return end;
  }

  unknown(d: UnknownDraft): Unknown | undefined {
    try {
      const key = this.ident(d.key);
      const values: Value[] = [];
      for (const v of d.values) {
        if (!v) throw DROP;
        values.push(v);
      }
      const u: Unknown = { kind: "Unknown", key, values, span: key.span };
      let end = values.length ? values[values.length - 1]!.span : key.span;
      if (d.lcurly !== undefined) {
        const { body, bodySpan } = this.body(d);
        u.body = body;
        end = bodySpan;
      }
      u.span = joinSpans(key.span, end);
      return u;
    } catch (e) {
      return dropped(e);
    }
  }

  /** A value of an unknown statement, or null if one of its tokens is missing or bad. */
  valueOrNull(items: IToken[]): Value | null {
    try {
      return this.value(items);
    } catch (e) {
      return dropped(e) ?? null;
    }
  }

  // ---------------------------------------------------------------- parts

  private span(t: IToken): Span {
    // Tokens lie on one line (see the lexer); the same fields as span.ts's tokenSpan().
    const line = t.startLine!;
    const col = t.startColumn!;
    const len = t.image.length;
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

  private ident(t: IToken | undefined): Ident {
    const tok = need(t);
    // Only the lexer makes names (grammar/lexer.ts): a Name or keyword token is a valid name.
    if (!NAMES.has(tok.tokenType)) throw DROP;
    return { kind: "Ident", name: tok.image, span: this.span(tok) };
  }

  /** `{ stmt* }`; a missing `}` (recovery) ends the body at its last statement. */
  private body(d: BodyDraft): { body: Stmt[]; bodySpan: Span } {
    const l = need(d.lcurly);
    const body = d.stmts;
    const open = this.span(l);
    const last = usable(d.rcurly)
      ? this.span(d.rcurly)
      : body.length
        ? body[body.length - 1]!.span
        : open;
    return { body, bodySpan: joinSpans(open, last) };
  }

  private scalars(ts: IToken[]): Scalar[] {
    if (ts.length === 0) throw DROP;
    return ts.map((t) => this.scalar(t));
  }

  /** A value's tokens: one scalar, or a `List` for a comma list. */
  private value(ts: IToken[]): Value {
    const items = this.scalars(ts);
    if (items.length === 1) return items[0]!;
    return {
      kind: "List",
      items,
      span: joinSpans(items[0]!.span, items[items.length - 1]!.span),
    };
  }

  private scalar(t: IToken): Scalar {
    const tok = need(t);
    const type = tok.tokenType;
    if (type === BadValue || type === BadName) throw DROP;
    if (type === Var && !NAME_RE.test(tok.image.slice(1))) throw DROP;
    return literal(tok, this.span(tok)) ?? this.ident(tok);
  }
}
