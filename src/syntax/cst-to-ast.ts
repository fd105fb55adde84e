/**
 * CST -> AST. Walks the Chevrotain CST directly (plain functions, no visitor
 * class: cheaper, and the tree is small). The CST may be partial after error
 * recovery; a node that lacks a required part, or holds a bad name or value
 * (already reported by the lexer), is dropped rather than half-built, so the
 * AST only ever holds valid names.
 */
import type { CstNode, IToken } from "chevrotain";
import { BadName, BadValue, Var } from "../../grammar/tokens.js";
import { NAME_RE, unquote } from "../../grammar/lexer.js";
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
  Unknown,
  Value,
} from "./ast.js";
import { literal } from "./literal.js";
import { joinSpans, tokenSpan } from "./span.js";

/** Thrown (and caught at the enclosing statement or item) to drop an incomplete node. */
const DROP = Symbol("drop");

type Children = Record<string, (IToken | CstNode)[] | undefined>;

function kids(n: CstNode): Children {
  return n.children as Children;
}
function toks(c: Children, label: string): IToken[] {
  return (c[label] as IToken[] | undefined) ?? [];
}
function nodes(c: Children, label: string): CstNode[] {
  return (c[label] as CstNode[] | undefined) ?? [];
}
function usable(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && !Number.isNaN(t.startOffset);
}
function need(t: IToken | undefined): IToken {
  if (!usable(t)) throw DROP;
  return t;
}

export class AstBuilder {
  constructor(private readonly file: string) {}

  items(fileNode: CstNode): Item[] {
    const out: Item[] = [];
    for (const n of nodes(kids(fileNode), "item")) {
      try {
        if (n.name === "define") out.push(this.define(n));
        else if (n.name === "include") out.push(this.include(n));
        else out.push(this.decl(n));
      } catch (e) {
        if (e !== DROP) throw e;
      }
    }
    return out;
  }

  private span(t: IToken): Span {
    return tokenSpan(this.file, t);
  }

  private ident(t: IToken | undefined): Ident {
    const tok = need(t);
    // The lexer only types valid words as names; check again so that nothing else can slip through.
    if (tok.tokenType === BadName || !NAME_RE.test(tok.image)) throw DROP;
    return { kind: "Ident", name: tok.image, span: this.span(tok) };
  }

  private define(n: CstNode): Item {
    const c = kids(n);
    const key = need(toks(c, "key")[0]);
    const name = this.ident(toks(c, "name")[0]);
    const value = this.value(toks(c, "item"));
    return {
      kind: "Define",
      name,
      value,
      span: joinSpans(this.span(key), value.span),
    };
  }

  private include(n: CstNode): Item {
    const c = kids(n);
    const key = need(toks(c, "key")[0]);
    const p = need(toks(c, "path")[0]);
    const path = {
      kind: "String" as const,
      value: unquote(p.image),
      span: this.span(p),
    };
    return {
      kind: "Include",
      path,
      span: joinSpans(this.span(key), path.span),
    };
  }

  private decl(n: CstNode): Decl {
    const c = kids(n);
    const key = need(toks(c, "key")[0]);
    const name = this.ident(toks(c, "name")[0]);
    const parentTok = toks(c, "parent")[0];
    const { body, bodySpan } = this.body(c);
    const decl: Decl = {
      kind: "Decl",
      keyword: key.image as Decl["keyword"],
      name,
      body,
      bodySpan,
      span: joinSpans(this.span(key), bodySpan),
    };
    if (toks(c, "inKw").length > 0) decl.parent = this.ident(parentTok);
    return decl;
  }

  /** `{ stmt* }`; a missing `}` (recovery) ends the body at its last statement. */
  private body(c: Children): { body: Stmt[]; bodySpan: Span } {
    const l = need(toks(c, "lcurly")[0]);
    const body = this.stmts(nodes(c, "stmt"));
    const r = toks(c, "rcurly")[0];
    const open = this.span(l);
    const last = usable(r) ? this.span(r) : body.length ? body[body.length - 1]!.span : open;
    return { body, bodySpan: joinSpans(open, last) };
  }

  private stmts(ns: CstNode[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of ns) {
      try {
        out.push(this.stmt(s));
      } catch (e) {
        if (e !== DROP) throw e;
      }
    }
    return out;
  }

  private stmt(n: CstNode): Stmt {
    switch (n.name) {
      case "unknownStmt":
        return this.unknown(n);
      case "allowStmt":
        return this.allow(n);
      case "cpuBlock":
      case "memoryBlock":
      case "pidsBlock":
      case "ioBlock":
      case "netBlock":
      case "rlimitBlock":
      case "securityBlock":
      case "deviceBlock":
      case "linkBlock":
        return this.block(n);
      default:
        return this.setting(kids(n));
    }
  }

  private setting(c: Children): Setting {
    const key = this.ident(toks(c, "key")[0]);
    const values: Value[] = toks(c, "arg").map((t) => this.ident(t));
    const items = toks(c, "item");
    if (items.length > 0) values.push(this.value(items));
    for (const t of toks(c, "lit")) values.push(this.scalar(t));
    if (values.length === 0) throw DROP;
    return {
      kind: "Setting",
      key,
      values,
      span: joinSpans(key.span, values[values.length - 1]!.span),
    };
  }

  private block(n: CstNode): Block | SubBlock {
    const c = kids(n);
    const key = this.ident(toks(c, "key")[0]);
    const { body, bodySpan } = this.body(c);
    const span = joinSpans(key.span, bodySpan);
    if (n.name === "deviceBlock" || n.name === "linkBlock") {
      const label = this.ident(toks(c, "label")[0]);
      return { kind: "SubBlock", key, label, body, bodySpan, span };
    }
    return { kind: "Block", key, body, bodySpan, span };
  }

  private allow(n: CstNode): Allow {
    const c = kids(n);
    const key = need(toks(c, "key")[0]);
    const direction = this.ident(toks(c, "direction")[0]);
    const a: Allow = { kind: "Allow", direction, span: this.span(key) };
    let end = direction.span;
    const proto = toks(c, "proto")[0];
    if (proto) end = (a.proto = this.ident(proto)).span;
    const peerKw = toks(c, "peerKw")[0];
    if (peerKw) {
      a.peerKeyword = this.ident(peerKw);
      a.peers = this.scalars(toks(c, "peers"));
      end = a.peers[a.peers.length - 1]!.span;
    }
    if (toks(c, "portKw")[0]) {
      a.ports = this.scalars(toks(c, "ports"));
      end = a.ports[a.ports.length - 1]!.span;
    }
    a.span = joinSpans(a.span, end);
    return a;
  }

  private unknown(n: CstNode): Unknown {
    const c = kids(n);
    const key = this.ident(toks(c, "key")[0]);
    const values = nodes(c, "value").map((v) => this.value(toks(kids(v), "item")));
    const u: Unknown = { kind: "Unknown", key, values, span: key.span };
    let end = values.length ? values[values.length - 1]!.span : key.span;
    if (toks(c, "lcurly").length > 0) {
      const { body, bodySpan } = this.body(c);
      u.body = body;
      end = bodySpan;
    }
    u.span = joinSpans(key.span, end);
    return u;
  }

  private scalars(ts: IToken[]): Scalar[] {
    if (ts.length === 0) throw DROP;
    return ts.map((t) => this.scalar(t));
  }

  /** A value's tokens: one scalar, or a `ListLit` for a comma list. */
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
