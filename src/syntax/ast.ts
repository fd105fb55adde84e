/**
 * The vsc abstract syntax tree: what the parser produces and the checker and
 * formatter consume. Every node has a span. The tree is deliberately shallow:
 * resource blocks hold generic `Setting`s (a key and its values) whose
 * meaning and types are the checker's business, so that the parser only
 * decides shape and the checker can report unknown keys, wrong units and
 * ranges with precise spans. The grammar still knows each block's keys (it
 * needs them to find where a statement ends, since several statements may
 * share a line); a key it does not know becomes an `Unknown` statement so the
 * checker can say "did you mean ...".
 */
import type { Span } from "../diag/diagnostic.js";

export type { Span };

interface NodeBase {
  span: Span;
}

// ---------------------------------------------------------------- values

/** A name: `[a-z][a-z0-9_-]{0,62}`, also keywords used as values (`in`, `tcp`, `keep`, `cpu`). */
export interface Ident extends NodeBase {
  kind: "Ident";
  name: string;
}

/** `"..."`; `value` is unescaped (only `\"` and `\\` exist). */
export interface StringLit extends NodeBase {
  kind: "String";
  value: string;
}

/** A bare number: `2`, `1.5`, `0`. `text` is the source text. */
export interface NumberLit extends NodeBase {
  kind: "Number";
  value: number;
  text: string;
}

/**
 * A number with a unit: `512MiB`, `10%`, `20ms`, `50MB/s`, `1gbit`, and the
 * spaced cpu form `1.5 cpus`. `unit` is exactly as written (`MiB`, `%`,
 * `cpus`, `MB/s`); the checker decides whether it is a known unit.
 */
export interface Quantity extends NodeBase {
  kind: "Quantity";
  value: number;
  unit: string;
  text: string;
}

/** The word `max` where a limit is expected ("no limit"). */
export interface MaxLit extends NodeBase {
  kind: "Max";
}

/** An IPv4 or IPv6 address with optional prefix: `10.0.0.0/24`, `fd00::11`. */
export interface AddressLit extends NodeBase {
  kind: "Address";
  family: 4 | 6;
  /** The address part without the prefix, as written. */
  address: string;
  prefix?: number;
  text: string;
}

/** `$name`: a reference to a `define`. */
export interface VarRef extends NodeBase {
  kind: "Var";
  name: string;
}

/** `254:0`: a block device's major:minor. */
export interface DevNum extends NodeBase {
  kind: "DevNum";
  major: number;
  minor: number;
  text: string;
}

/** `8000-8080`: an inclusive port range. */
export interface RangeLit extends NodeBase {
  kind: "Range";
  from: number;
  to: number;
  text: string;
}

export type Scalar =
  Ident | StringLit | NumberLit | Quantity | MaxLit | AddressLit | VarRef | DevNum | RangeLit;

/** A comma-separated list: `80, 443`; `chown, setuid`; `10.0.0.11, fd00::11`. */
export interface ListLit extends NodeBase {
  kind: "List";
  items: Scalar[];
}

export type Value = Scalar | ListLit;

// ---------------------------------------------------------------- statements

/**
 * `key value...`: `share 2`, `limit 1 cpus`, `disk vda 254:0`,
 * `link eth0 rate 1gbit`, `keep cpu 10%`, `address 10.0.0.11, fd00::11`,
 * `capabilities keep chown, setuid`, `use small`, `id 101`, `default deny`.
 * A comma list is one `ListLit` value; a single item is a plain scalar.
 */
export interface Setting extends NodeBase {
  kind: "Setting";
  key: Ident;
  values: Value[];
  /** `link eth0 rate 100mbit { ... }` (host links only, language-v2.md §3): the body and its span. */
  body?: Stmt[];
  bodySpan?: Span;
}

/**
 * A named sub-block: `link eth0 { ... }` (in net), `device vda { ... }` (in io).
 */
export interface SubBlock extends NodeBase {
  kind: "SubBlock";
  key: Ident;
  label: Ident;
  body: Stmt[];
  /** Span of `{ ... }`, braces included. */
  bodySpan: Span;
}

/**
 * `allow in tcp port 80, 443`, `allow out tcp to $db_net port 5432`,
 * `allow out udp port 53`, `allow in from 10.0.0.0/8`.
 * Shape: allow (in|out) PROTO? ((from|to) PEERS)? (port PORTS)?
 */
export interface Allow extends NodeBase, PeerPort {
  kind: "Allow";
  direction: Ident; // `in` | `out`
}

/**
 * The peer and port part of a rule, shared by `allow` and each alternative of
 * `match` (grammar: parser.ts `peerPort`; checker: check/allow.ts
 * `readPeerPort`): `PROTO? ((from|to) PEER, ... (except PREFIX, ...)?)? (port PORTS)?`.
 */
export interface PeerPort {
  proto?: Ident; // tcp | udp | icmp | icmpv6 | any (the checker validates)
  peerKeyword?: Ident; // `from` | `to`
  peers?: Peer[]; // addresses, $refs, `context NAME`, `class NAME`
  except?: Scalar[]; // prefixes carved out of the peers
  ports?: Scalar[]; // numbers and ranges
}

/** `context NAME` / `class NAME` as a peer: the addresses of the contexts it means. */
export interface PeerName extends NodeBase {
  kind: "PeerName";
  keyword: Ident; // `context` | `class`
  name: Ident;
}
export type Peer = Scalar | PeerName;

/** One alternative of a `match`: a peer/port part with its own span. */
export interface MatchClause extends NodeBase, PeerPort {
  kind: "MatchClause";
}

/**
 * `match tcp port 22`, `match tcp to 10.9.0.0/16, udp port 5000-5100`
 * (inside `traffic NAME { ... }`): alternatives separated by commas; a
 * comma followed by a protocol, `to`, `from` or `port` starts the next one.
 */
export interface Match extends NodeBase {
  kind: "Match";
  clauses: MatchClause[];
}

/** A resource block inside a host/class/context/template: `cpu { ... }`. */
export interface Block extends NodeBase {
  kind: "Block";
  /** cpu | memory | pids | io | net | rlimit | security */
  key: Ident;
  body: Stmt[];
  bodySpan: Span;
}

/**
 * A statement whose key the grammar does not know in this position, with
 * whatever values followed it (and a nested body if it had braces). The
 * checker reports it (unknown field, with a suggestion). `values` holds only
 * non-identifier scalars, so the next statement is never swallowed.
 */
export interface Unknown extends NodeBase {
  kind: "Unknown";
  key: Ident;
  values: Value[];
  body?: Stmt[];
}

export type Stmt = Setting | SubBlock | Allow | Match | Block | Unknown;

// ---------------------------------------------------------------- items

/** `define db_net = 10.0.1.0/24` (value may be a list). */
export interface Define extends NodeBase {
  kind: "Define";
  name: Ident;
  value: Value;
}

/** `include "contexts/*.vsc"`. */
export interface Include extends NodeBase {
  kind: "Include";
  path: StringLit;
}

/** `host NAME { ... }`, `template NAME { ... }`, `class NAME [in P] { ... }`, `context NAME [in P] { ... }`. */
export interface Decl extends NodeBase {
  kind: "Decl";
  keyword: "host" | "template" | "class" | "context";
  name: Ident;
  /** `in PARENT` (classes and contexts only). */
  parent?: Ident;
  /** `on HOST|GROUP, ...` (classes and contexts only): the hosts it is placed on. */
  on?: Ident[];
  body: Stmt[];
  bodySpan: Span;
}

/** `group princeton = pl1, pl2`: a named set of hosts, for `on`. */
export interface Group extends NodeBase {
  kind: "Group";
  name: Ident;
  members: Ident[];
}

export type Item = Define | Include | Decl | Group;

/** A `#` or `//` comment; kept for the formatter. `text` includes the marker. */
export interface Comment extends NodeBase {
  kind: "Comment";
  text: string;
}

/** One parsed source file. */
export interface SourceFile {
  /** Path relative to the entry file's directory, forward slashes (same as Span.file). */
  file: string;
  text: string;
  items: Item[];
  comments: Comment[];
}

/**
 * A whole program: the entry file and everything it includes, in load order
 * (entry first; an include's files in sorted glob order at the point of the
 * include). `items` is every file's items flattened in that order, with
 * `Include` items kept in place (they have been resolved already).
 */
export interface Program {
  entry: string;
  files: SourceFile[];
  items: Item[];
}
