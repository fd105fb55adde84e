/**
 * The vsc grammar: a Chevrotain `EmbeddedActionsParser` whose rules build the
 * AST (src/syntax/ast.ts) directly. There is no CST and no second parser.
 *
 * Statements are not separated by newlines or `;`: each block knows its keys
 * and how many values each takes, so `cpu { share 4  reserve 25% }` is two
 * statements. A key the block does not know is an `unknownStmt`: the key plus
 * any following literals (never identifiers, so it cannot swallow the next
 * statement) and an optional `{ ... }` body. Statement alternatives are
 * chosen on the key alone (MAX_LOOKAHEAD 1), so `limit }` is "a value is
 * missing after `limit`", not an unknown statement.
 *
 * How a rule builds its node. Each rule collects its tokens and its
 * sub-rules' nodes into a small draft object (one per rule invocation) and
 * turns the draft into the AST node at its end (src/syntax/build.ts). The
 * building runs inside `ACTION`, so it never runs in Chevrotain's recording
 * phase (performSelfAnalysis calls every rule once with placeholder tokens
 * to learn the grammar; the drafts it fills are local and thrown away). The
 * parser never backtracks (no `BACKTRACK`, no gates that parse), so every
 * action runs once, on the path that is kept.
 *
 * Error recovery. Chevrotain recovers inside a rule (it inserts a missing
 * `}`, name or value, or deletes one stray token) or re-synchronises at an
 * enclosing rule (skips to a token that may follow it). A re-synchronised
 * rule returns its `recoveryValueFunc`'s value: here, the node built from
 * the draft as far as it got (`partial`, set when the rule's body throws).
 * So a declaration with a bad statement keeps its other statements, as the
 * CST did before. A draft lacking a required part, or holding a bad name or
 * value (already reported by the lexer), builds no node: the AST only ever
 * holds valid names and values. Messages come from grammar/messages.ts, as
 * data (code, message, help) kept beside Chevrotain's errors.
 */
import type { IRecognitionException, IToken, ParserMethod, TokenType } from "chevrotain";
import { EmbeddedActionsParser } from "./chevrotain.js";
import type { Item, Stmt, Value } from "../src/syntax/ast.js";
import {
  Build,
  type AllowDraft,
  type BlockDraft,
  type DeclDraft,
  type DefineDraft,
  type GroupDraft,
  type IncludeDraft,
  type MatchDraft,
  type PeerPortDraft,
  type SettingDraft,
  type UnknownDraft,
} from "../src/syntax/build.js";
import {
  Allow,
  Class,
  Comma,
  Context,
  Cpu,
  CpuKey,
  Define,
  Device,
  DeviceKey,
  Disk,
  Default,
  Equals,
  Except,
  From,
  Group,
  Host,
  Log,
  HostKey,
  HostLinkKey,
  Identifier,
  In,
  Include,
  Ingress,
  IngressKey,
  Io,
  IoKey,
  Keep,
  LCurly,
  Link,
  LinkKey,
  Literal,
  Match,
  Memory,
  MemoryKey,
  ModeKey,
  Name,
  Net,
  NetKey,
  NodeKey,
  On,
  Out,
  Overbook,
  Pids,
  PidsKey,
  PlainName,
  Port,
  RCurly,
  Rate,
  Rlimit,
  Scalar,
  Security,
  SecurityKey,
  StmtKey,
  StringLit,
  Template,
  To,
  Traffic,
  TrafficKey,
  Use,
  allTokens,
} from "./tokens.js";
import { messageProvider, type ParseMessage } from "./messages.js";

type Alt = { ALT: () => unknown; IGNORE_AMBIGUITIES?: boolean };
/** A body's statement alternatives: chosen on the key alone. */
type StmtAlts = { MAX_LOOKAHEAD: 1; DEF: Alt[] };
const stmtAlts = (alts: Alt[]): StmtAlts => ({ MAX_LOOKAHEAD: 1, DEF: alts });
/** Where a body's statements and braces go. */
type BodyDraft = { lcurly?: IToken; stmts: Stmt[]; rcurly?: IToken };

/**
 * The token types of grammar/tokens.ts are plain objects; constructing any
 * Chevrotain parser over them "augments" them (indices and the transitive
 * category maps). A parser decides whether categories are in use before it
 * augments, so the types are augmented once by this empty parser first, and
 * VscParser then sees the categories.
 */
class Augment extends EmbeddedActionsParser {
  constructor() {
    super(allTokens);
  }
}
let augmented = false;

/** One syntax error: Chevrotain's exception (token, kind) and its message as data. */
export interface ParseError {
  exception: IRecognitionException;
  message: ParseMessage;
}

export class VscParser extends EmbeddedActionsParser {
  /** Messages built for this parse, one per entry of `errors`, in the same order; the error budget. */
  private readonly state: { messages: ParseMessage[]; budget: number };
  /** The rule an error is passing through, and how to build its node from its draft so far. */
  private partial: { rule: string; make: () => unknown } | undefined;
  private build = new Build("");

  // Arrays of alternatives, made once (Chevrotain's performance guide: an OR's
  // array and closures made at every call are garbage at every call). Their
  // closures only call sub-rules; what a rule keeps is done with the result.
  private readonly itemAlts: Alt[] = [
    { ALT: () => this.SUBRULE(this.define) },
    { ALT: () => this.SUBRULE(this.include) },
    { ALT: () => this.SUBRULE(this.hostDecl) },
    { ALT: () => this.SUBRULE(this.templateDecl) },
    { ALT: () => this.SUBRULE(this.nodeDecl) },
    { ALT: () => this.SUBRULE(this.groupDecl) },
  ];
  private readonly hostAlts = stmtAlts([
    { ALT: () => this.SUBRULE(this.hostKv) },
    { ALT: () => this.SUBRULE(this.hostDisk) },
    { ALT: () => this.SUBRULE(this.hostLink) },
    { ALT: () => this.SUBRULE(this.hostPair) },
    { ALT: () => this.SUBRULE(this.hostUse) },
    this.unknownAlt(),
  ]);
  /**
   * A template's body: a context's statements and a host's (a template may
   * be used by both; the checker says which part applies where). `memory`
   * is a host setting (`memory 32GiB`) or a block (`memory { ... }`).
   */
  private readonly templateAlts = stmtAlts([
    { ALT: () => this.SUBRULE(this.templateMemory) },
    { ALT: () => this.SUBRULE(this.nodeKv) },
    { ALT: () => this.SUBRULE(this.cpuBlock) },
    { ALT: () => this.SUBRULE(this.pidsBlock) },
    { ALT: () => this.SUBRULE(this.ioBlock) },
    { ALT: () => this.SUBRULE(this.netBlock) },
    { ALT: () => this.SUBRULE(this.rlimitBlock) },
    { ALT: () => this.SUBRULE(this.securityBlock) },
    { ALT: () => this.SUBRULE(this.hostKv), IGNORE_AMBIGUITIES: true },
    { ALT: () => this.SUBRULE(this.hostDisk) },
    { ALT: () => this.SUBRULE(this.hostLink) },
    { ALT: () => this.SUBRULE(this.hostPair) },
    this.unknownAlt(),
  ]);
  private readonly nodeAlts = stmtAlts([
    { ALT: () => this.SUBRULE(this.nodeKv) },
    { ALT: () => this.SUBRULE(this.cpuBlock) },
    { ALT: () => this.SUBRULE(this.memoryBlock) },
    { ALT: () => this.SUBRULE(this.pidsBlock) },
    { ALT: () => this.SUBRULE(this.ioBlock) },
    { ALT: () => this.SUBRULE(this.netBlock) },
    { ALT: () => this.SUBRULE(this.rlimitBlock) },
    { ALT: () => this.SUBRULE(this.securityBlock) },
    this.unknownAlt(),
  ]);
  private readonly hostLinkAlts = stmtAlts([
    { ALT: () => this.SUBRULE(this.hostLinkKv) },
    { ALT: () => this.SUBRULE(this.hostLinkDefault) },
    this.unknownAlt(),
  ]);
  private readonly classOrContext = tokenAlts(this, Class, Context);
  private readonly keepOrOverbook = tokenAlts(this, Keep, Overbook);
  private readonly inOrOut = tokenAlts(this, In, Out);
  private readonly fromOrTo = tokenAlts(this, From, To);

  constructor(validate: boolean) {
    if (!augmented) {
      new Augment();
      augmented = true;
    }
    const state = { messages: [] as ParseMessage[], budget: Infinity };
    super(allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      skipValidations: !validate,
      errorMessageProvider: messageProvider((m) => {
        // Past the budget, stop the whole parse (parseItems catches this).
        if (state.messages.length >= state.budget) throw TOO_MANY;
        state.messages.push(m);
      }),
    });
    this.state = state;
    this.performSelfAnalysis();
  }

  /**
   * Parses `tokens` (of `file`) as a sequence of top-level items. After
   * `budget` errors the parse stops: `stoppedAt` is the token it stopped at.
   */
  parseItems(
    tokens: IToken[],
    file: string,
    budget = Infinity,
  ): { items: Item[]; errors: ParseError[]; stoppedAt?: IToken } {
    if (this.build.file !== file) this.build = new Build(file);
    this.input = tokens; // resets the parser, and with it the messages (see reset)
    this.state.budget = budget;
    let items: Item[];
    let stoppedAt: IToken | undefined;
    try {
      items = this.file() ?? [];
    } catch (e) {
      if (e !== TOO_MANY) throw e;
      stoppedAt = this.LA(1);
      // The items so far: the `file` rule's draft, as for any rule cut short.
      items = (this.partial?.make() as Item[] | undefined) ?? [];
      this.partial = undefined;
    }
    const errors = this.errors;
    const messages = this.state.messages;
    if (errors.length !== messages.length)
      throw new Error("vsc bug: parse errors and their messages are out of step");
    const out = errors.map((exception, i) => ({ exception, message: messages[i]! }));
    return stoppedAt ? { items, errors: out, stoppedAt } : { items, errors: out };
  }

  override reset(): void {
    super.reset();
    if (this.state) this.state.messages.length = 0;
    this.partial = undefined;
  }

  /**
   * Recovery may invent a missing `}`, name or value, but never a `{`: an
   * invented `{` turns the rest of the file into one bogus block.
   */
  override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== LCurly;
  }

  /**
   * A rule that fills a draft and builds its node from it, also when it is
   * cut short by an error (then from the draft as far as it got). When a
   * sub-rule's error passes through this rule, the sub-rule's partial node
   * is first given to this rule's draft (`adopt`), as the CST kept a partial
   * child: so `partial` always holds the draft of the rule the error is
   * passing through, for its `recoveryValueFunc` if that rule re-syncs.
   */
  private node<D, R>(
    name: string,
    draft: () => D,
    fill: (d: D) => void,
    make: (d: D) => R | undefined,
    adopt?: (d: D, child: unknown, rule: string) => void,
  ) {
    return this.RULE(
      name,
      (): R | undefined => {
        const d = draft();
        try {
          fill(d);
        } catch (e) {
          const child = this.partial;
          if (child !== undefined && adopt !== undefined) adopt(d, child.make(), child.rule);
          this.partial = { rule: name, make: () => make(d) };
          throw e;
        }
        // What ACTION does, without a closure per call: never build in the recording phase.
        return this.RECORDING_PHASE ? undefined : make(d);
      },
      {
        recoveryValueFunc: (): R | undefined => {
          const p = this.partial;
          this.partial = undefined;
          return p === undefined ? undefined : (p.make() as R | undefined);
        },
      },
    );
  }

  // ---------------------------------------------------------------- top level

  public file = this.node(
    "file",
    (): { items: Item[] } => ({ items: [] }),
    (d) => {
      this.MANY(() => {
        const item = this.OR(this.itemAlts) as Item | undefined;
        if (item !== undefined) d.items.push(item);
      });
    },
    (d) => d.items,
    (d, item) => {
      if (item !== undefined) d.items.push(item as Item);
    },
  );

  public define = this.node(
    "define",
    (): DefineDraft => ({ items: [] }),
    (d) => {
      d.key = this.CONSUME(Define);
      d.name = this.CONSUME(Identifier);
      this.CONSUME(Equals);
      this.list(Scalar, d.items);
    },
    (d) => this.build.define(d),
  );

  public include = this.node(
    "include",
    (): IncludeDraft => ({}),
    (d) => {
      d.key = this.CONSUME(Include);
      d.path = this.CONSUME(StringLit);
    },
    (d) => this.build.include(d),
  );

  public hostDecl = this.node(
    "hostDecl",
    (): DeclDraft => ({ stmts: [] }),
    (d) => {
      d.key = this.CONSUME(Host);
      d.name = this.CONSUME(Identifier);
      this.body(d, this.hostAlts);
    },
    (d) => this.build.decl(d),
    adoptStmt,
  );

  public templateDecl = this.node(
    "templateDecl",
    (): DeclDraft => ({ stmts: [] }),
    (d) => {
      d.key = this.CONSUME(Template);
      d.name = this.CONSUME(Identifier);
      this.body(d, this.templateAlts);
    },
    (d) => this.build.decl(d),
    adoptStmt,
  );

  public nodeDecl = this.node(
    "nodeDecl",
    (): DeclDraft => ({ stmts: [] }),
    (d) => {
      d.key = this.OR(this.classOrContext) as IToken;
      d.name = this.CONSUME1(Identifier);
      this.OPTION(() => {
        d.inKw = this.CONSUME(In);
        d.parent = this.CONSUME2(Identifier);
      });
      this.OPTION2(() => {
        d.onKw = this.CONSUME(On);
        d.on = [];
        this.list(Identifier, d.on);
      });
      this.body(d, this.nodeAlts);
    },
    (d) => this.build.decl(d),
    adoptStmt,
  );

  /** group NAME = HOST, ... */
  public groupDecl = this.node(
    "groupDecl",
    (): GroupDraft => ({ members: [] }),
    (d) => {
      d.key = this.CONSUME(Group);
      d.name = this.CONSUME(Identifier);
      this.CONSUME(Equals);
      this.list(Identifier, d.members);
    },
    (d) => this.build.group(d),
  );

  // ---------------------------------------------------------------- host statements

  /** use TEMPLATE, ... (a template's host settings) */
  public hostUse = this.keyList("hostUse", Use);
  /** In a template: `memory SIZE` (a host's) or `memory { ... }` (a context's). */
  public templateMemory = this.node(
    "templateMemory",
    (): { block?: Stmt; setting?: Stmt } => ({}),
    (d) => {
      this.OR2([
        {
          ALT: () => {
            d.block = this.SUBRULE(this.memoryBlock);
          },
        },
        {
          ALT: () => {
            d.setting = this.SUBRULE(this.hostKv);
          },
        },
      ]);
    },
    (d) => d.block ?? d.setting,
    (d, child) => {
      if (child !== undefined) d.block = child as Stmt;
    },
  );

  /** cpus, memory, cgroup-root */
  public hostKv = this.keyList("hostKv", HostKey);
  /** disk NAME MAJ:MIN */
  public hostDisk = this.setting("hostDisk", (d) => {
    d.key = this.CONSUME(Disk);
    (d.args ??= []).push(this.CONSUME(Identifier));
    this.list(Scalar, d.items);
  });
  /** link NAME rate RATE, optionally with a body: `{ default { ... }  qdisc Q  ingress R }` */
  public hostLink = this.setting("hostLink", (d) => {
    d.key = this.CONSUME(Link);
    (d.args ??= []).push(this.CONSUME(Identifier));
    (d.args ??= []).push(this.CONSUME(Rate));
    this.list(Scalar, d.items);
    this.OPTION(() => {
      d.stmts = [];
      this.body(d as BodyDraft, this.hostLinkAlts);
    });
  });
  public hostLinkKv = this.keyList("hostLinkKv", HostLinkKey);
  /** `default { reserve R  limit L }`: the class of traffic no context owns. */
  public hostLinkDefault = this.block("hostLinkDefault", Default, () => [
    { ALT: () => this.SUBRULE(this.ingressKv) },
    this.unknownAlt(),
  ]);
  /** keep cpu|memory Q, overbook cpu|memory F */
  public hostPair = this.setting("hostPair", (d) => {
    d.key = this.OR(this.keepOrOverbook) as IToken;
    (d.args ??= []).push(this.CONSUME(Identifier));
    this.list(Scalar, d.items);
  });

  // ---------------------------------------------------------------- template / class / context

  /** use NAME, id N */
  public nodeKv = this.keyList("nodeKv", NodeKey);

  public cpuBlock = this.block("cpuBlock", Cpu, () => [
    { ALT: () => this.SUBRULE(this.cpuKv) },
    this.unknownAlt(),
  ]);
  public cpuKv = this.keyList("cpuKv", CpuKey);

  public memoryBlock = this.block("memoryBlock", Memory, () => [
    { ALT: () => this.SUBRULE(this.memoryKv) },
    this.unknownAlt(),
  ]);
  public memoryKv = this.keyList("memoryKv", MemoryKey);

  public pidsBlock = this.block("pidsBlock", Pids, () => [
    { ALT: () => this.SUBRULE(this.pidsKv) },
    this.unknownAlt(),
  ]);
  public pidsKv = this.keyList("pidsKv", PidsKey);

  public ioBlock = this.block("ioBlock", Io, () => [
    { ALT: () => this.SUBRULE(this.ioKv) },
    { ALT: () => this.SUBRULE(this.deviceBlock) },
    this.unknownAlt(),
  ]);
  public ioKv = this.keyList("ioKv", IoKey);
  public deviceBlock = this.subBlock("deviceBlock", Device, () => [
    { ALT: () => this.SUBRULE(this.deviceKv) },
    this.unknownAlt(),
  ]);
  public deviceKv = this.keyList("deviceKv", DeviceKey);

  public netBlock = this.block("netBlock", Net, () => [
    { ALT: () => this.SUBRULE(this.netKv) },
    { ALT: () => this.SUBRULE(this.linkBlock) },
    { ALT: () => this.SUBRULE(this.allowStmt) },
    { ALT: () => this.SUBRULE(this.defaultStmt) },
    this.unknownAlt(),
  ]);
  /** address LIST */
  public netKv = this.keyList("netKv", NetKey);
  public linkBlock = this.subBlock("linkBlock", Link, () => [
    { ALT: () => this.SUBRULE(this.linkKv) },
    { ALT: () => this.SUBRULE(this.trafficBlock) },
    { ALT: () => this.SUBRULE(this.ingressBlock) },
    this.unknownAlt(),
  ]);
  public linkKv = this.keyList("linkKv", LinkKey);
  /** traffic NAME { match ...  reserve R  limit L  prio P  qdisc Q } */
  public trafficBlock = this.subBlock("trafficBlock", Traffic, () => [
    { ALT: () => this.SUBRULE(this.matchStmt) },
    { ALT: () => this.SUBRULE(this.trafficKv) },
    this.unknownAlt(),
  ]);
  public trafficKv = this.keyList("trafficKv", TrafficKey);
  /** ingress { reserve R  limit L } (a context's link) */
  public ingressBlock = this.block("ingressBlock", Ingress, () => [
    { ALT: () => this.SUBRULE(this.ingressKv) },
    this.unknownAlt(),
  ]);
  public ingressKv = this.keyList("ingressKv", IngressKey);

  /**
   * The peer and port part of a rule, ONE rule for every statement that
   * matches packets (`allow` and each alternative of `match`): it fills the
   * caller's draft (`into`), so a part cut short by an error is in that
   * draft, as when the part was inline.
   * `PROTO? ((from|to) PEER (, PEER)* (except LIST)?)? (port LIST)?`, where
   * PEER is `context NAME`, `class NAME` or a value (an address, a `$ref`).
   * `context`/`class` are keywords and so also values: the named forms are
   * tried first (the `peer` rule: the first alternative that fits wins).
   * In a match (`inMatch`), the lists stop before a comma that starts the
   * next alternative (a protocol name, `from`, `to` or `port`).
   */
  public peerPort = this.RULE(
    "peerPort",
    (into: PeerPortDraft | undefined, inMatch: boolean): void => {
      // The recording phase calls the rule without arguments. The draft and
      // `inMatch` go in fields, read by the DSL bodies made once below (no
      // closure per call, as for `body` and `list`: measured there).
      this.pp = into ?? { peers: [], except: [], ports: [] };
      this.ppInMatch = inMatch === true;
      this.OPTION1(this.ppProto);
      this.OPTION2(this.ppPeers);
      this.OPTION3(this.ppPorts);
    },
  );
  private pp: PeerPortDraft = { peers: [], except: [], ports: [] };
  private ppInMatch = false;
  /** Whether a peer-port list goes on at the next comma (see `peerPort`). */
  private readonly ppMore = () => !this.ppInMatch || !this.clauseStart(2);
  private readonly ppProto = () => {
    this.pp.proto = this.CONSUME(PlainName);
  };
  private readonly ppPeers = () => {
    const d = this.pp;
    d.peerKw = this.OR2(this.fromOrTo) as IToken;
    const first = this.SUBRULE1(this.peer);
    if (first !== undefined) d.peers.push(first);
    this.MANY1(this.ppPeerMore);
    this.OPTION4(this.ppExcept);
  };
  private readonly ppPeerMore = {
    GATE: this.ppMore,
    DEF: () => {
      this.CONSUME1(Comma);
      const next = this.SUBRULE2(this.peer);
      if (next !== undefined) this.pp.peers.push(next);
    },
  };
  private readonly ppExcept = () => {
    const d = this.pp;
    d.exceptKw = this.CONSUME(Except);
    d.except.push(this.CONSUME5(Scalar));
    this.MANY3(this.ppExceptMore);
  };
  private readonly ppExceptMore = {
    GATE: this.ppMore,
    DEF: () => {
      this.CONSUME3(Comma);
      this.pp.except.push(this.CONSUME6(Scalar));
    },
  };
  private readonly ppPorts = () => {
    const d = this.pp;
    d.portKw = this.CONSUME(Port);
    d.ports.push(this.CONSUME3(Scalar));
    this.MANY2(this.ppPortMore);
  };
  private readonly ppPortMore = {
    GATE: this.ppMore,
    DEF: () => {
      this.CONSUME2(Comma);
      this.pp.ports.push(this.CONSUME4(Scalar));
    },
  };
  /** One peer: `context NAME`, `class NAME` or a value (the named forms first). */
  public peer = this.RULE("peer", (): IToken | { kw: IToken; name: IToken } | undefined =>
    this.OR7({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => ({ kw: this.CONSUME(Context), name: this.CONSUME1(Identifier) }) },
        { ALT: () => ({ kw: this.CONSUME(Class), name: this.CONSUME2(Identifier) }) },
        { ALT: () => this.CONSUME(Scalar) },
      ],
    }),
  );

  /** allow (in|out) PEER-PORT */
  public allowStmt = this.node(
    "allowStmt",
    (): AllowDraft => ({ peers: [], except: [], ports: [] }),
    (d) => {
      d.key = this.CONSUME(Allow);
      d.direction = this.OR(this.inOrOut) as IToken;
      this.SUBRULE(this.peerPort, { ARGS: [d, false] });
    },
    (d) => this.build.allow(d),
  );

  /** default deny|reject|allow [log] (a value list, as every key's, for the checker to judge) */
  public defaultStmt = this.setting("defaultStmt", (d) => {
    d.key = this.CONSUME(Default);
    this.list(Scalar, d.items);
    this.OPTION(() => {
      (d.lits ??= []).push(this.CONSUME(Log));
    });
  });

  /**
   * match PEER-PORT (, PEER-PORT)*: inside a match, a comma followed by a
   * protocol, `from`, `to` or `port` starts the next alternative.
   */
  public matchStmt = this.node(
    "matchStmt",
    (): MatchDraft => ({ clauses: [] }),
    (d) => {
      d.key = this.CONSUME(Match);
      const first: PeerPortDraft = { peers: [], except: [], ports: [] };
      d.clauses.push(first);
      this.SUBRULE1(this.peerPort, { ARGS: [first, true] });
      this.MANY3({
        GATE: () => this.clauseStart(2),
        DEF: () => {
          this.CONSUME3(Comma);
          const next: PeerPortDraft = { peers: [], except: [], ports: [] };
          d.clauses.push(next);
          this.SUBRULE2(this.peerPort, { ARGS: [next, true] });
        },
      });
    },
    (d) => this.build.match(d),
  );
  public rlimitBlock = this.block("rlimitBlock", Rlimit, () => [
    { ALT: () => this.SUBRULE(this.rlimitStmt) },
  ]);
  /** Any rlimit name (the checker knows the list) and `soft` or `soft hard`. */
  public rlimitStmt = this.setting("rlimitStmt", (d) => {
    d.key = this.CONSUME(StmtKey);
    (d.lits ??= []).push(this.CONSUME1(Literal));
    this.OPTION(() => {
      (d.lits ??= []).push(this.CONSUME2(Literal));
    });
  });

  public securityBlock = this.block("securityBlock", Security, () => [
    { ALT: () => this.SUBRULE(this.capsStmt) },
    { ALT: () => this.SUBRULE(this.securityKv) },
    this.unknownAlt(),
  ]);
  /**
   * capabilities keep|drop|none LIST?, syscalls deny LIST: the list is
   * optional (`none`; a `keep` without names is the checker's error), so it
   * never starts at the block's next key.
   */
  public capsStmt = this.setting("capsStmt", (d) => {
    d.key = this.CONSUME(ModeKey);
    (d.args ??= []).push(this.CONSUME(Identifier));
    this.OPTION({
      GATE: () => !startsSecurityStmt(this.LA(1).tokenType),
      DEF: () => this.list(Scalar, d.items),
    });
  });
  /** namespaces LIST, hostname "..", root ".." */
  public securityKv = this.keyList("securityKv", SecurityKey);

  // ---------------------------------------------------------------- unknown keys

  public unknownStmt: ParserMethod<[], Stmt | undefined> = this.node(
    "unknownStmt",
    (): UnknownDraft => ({ values: [], stmts: [] }),
    (d) => {
      d.key = this.CONSUME(StmtKey);
      this.MANY1(() => {
        d.values.push(this.SUBRULE(this.literalValue));
      });
      this.OPTION(() => {
        d.lcurly = this.CONSUME(LCurly);
        this.MANY2(() => {
          const s = this.SUBRULE(this.unknownStmt);
          if (s !== undefined) d.stmts.push(s);
        });
        d.rcurly = this.CONSUME(RCurly);
      });
    },
    (d) => this.build.unknown(d),
    (d, child, rule) => {
      if (rule === "literalValue") d.values.push(child as Value | null | undefined);
      else adoptStmt(d, child);
    },
  );

  /**
   * Literals (no identifiers) after an unknown key: one, or a comma list. A
   * value with a bad token is `null`, which drops the whole unknown statement
   * (undefined: the rule was cut short and gave nothing).
   */
  public literalValue = this.node(
    "literalValue",
    (): IToken[] => [],
    (d) => this.list(Literal, d),
    (d): Value | null => this.build.valueOrNull(d),
  );

  // ---------------------------------------------------------------- rule makers

  private setting(name: string, fill: (d: SettingDraft) => void) {
    return this.node(
      name,
      (): SettingDraft => ({ items: [] }),
      fill,
      (d) => this.build.setting(d),
    );
  }

  private keyList(name: string, key: TokenType) {
    return this.setting(name, (d) => {
      d.key = this.CONSUME8(key);
      this.list(Scalar, d.items);
    });
  }

  private block(name: string, key: TokenType, alts: () => Alt[]) {
    let cached: StmtAlts | undefined;
    return this.node(
      name,
      (): BlockDraft => ({ stmts: [] }),
      (d) => {
        d.key = this.CONSUME(key);
        this.body(d, (cached ??= stmtAlts(alts())));
      },
      (d) => this.build.block(d),
      adoptStmt,
    );
  }

  private subBlock(name: string, key: TokenType, alts: () => Alt[]) {
    let cached: StmtAlts | undefined;
    return this.node(
      name,
      (): BlockDraft => ({ stmts: [] }),
      (d) => {
        d.key = this.CONSUME(key);
        d.label = this.CONSUME(Identifier);
        this.body(d, (cached ??= stmtAlts(alts())));
      },
      (d) => this.build.subBlock(d),
      adoptStmt,
    );
  }

  // ---------------------------------------------------------------- helpers (inlined into the calling rule)

  /** Whether the token at `k` starts a match alternative (after a comma). */
  private clauseStart(k: number): boolean {
    const t = this.LA(k).tokenType;
    return t === Name || t === From || t === To || t === Port;
  }

  private unknownAlt(): Alt {
    return { ALT: () => this.SUBRULE9(this.unknownStmt), IGNORE_AMBIGUITIES: true };
  }

  /**
   * `{ stmt* }`, each statement chosen on its key alone. The draft and the
   * alternatives go in fields (restored on the way out: bodies nest), read
   * by `bodyStmt`, made once: no closure per call. Measured (2026-12-06,
   * cold parse of the generated 1,000 contexts, instructions counted by
   * valgrind, V8 single-threaded, deterministic to 1%): 915 M with a closure
   * per call in `body`, `list` and `peerPort`; 816 M without in `body` and
   * `list`; 795 M without in all three. The same for `nodeDecl`'s and
   * `peer`'s few closures gained nothing (802 M) and was not kept.
   */
  private body(d: BodyDraft, alts: StmtAlts): void {
    d.lcurly = this.CONSUME9(LCurly);
    const outerDraft = this.bodyDraft;
    const outerAlts = this.bodyAlts;
    this.bodyDraft = d;
    this.bodyAlts = alts;
    try {
      this.MANY9(this.bodyStmt);
    } finally {
      this.bodyDraft = outerDraft;
      this.bodyAlts = outerAlts;
    }
    d.rcurly = this.CONSUME9(RCurly);
  }
  private bodyDraft: BodyDraft = { stmts: [] };
  private bodyAlts: StmtAlts = stmtAlts([]);
  private readonly bodyStmt = () => {
    const s = this.OR9(this.bodyAlts) as Stmt | undefined;
    if (s !== undefined) this.bodyDraft.stmts.push(s);
  };

  /** One value or a comma list, its tokens pushed to `out` (the list's type and `out` in fields, as for `body`). */
  private list(type: TokenType, out: IToken[]): void {
    out.push(this.CONSUME7(type));
    this.listType = type;
    this.listOut = out;
    this.MANY8(this.listMore);
  }
  private listType: TokenType = Scalar;
  private listOut: IToken[] = [];
  private readonly listMore = () => {
    this.CONSUME7(Comma);
    this.listOut.push(this.CONSUME6(this.listType));
  };
}

/** Thrown by the message sink when the error budget is spent; caught in parseItems. */
const TOO_MANY = new Error("too many errors");

/** A token that starts a security statement (so it is not a capability or set name). */
function startsSecurityStmt(t: TokenType): boolean {
  const cats = t.CATEGORIES ?? [];
  return cats.includes(SecurityKey) || cats.includes(ModeKey);
}

/** `CONSUME(a) | CONSUME(b)` as a reusable array of alternatives. */
function tokenAlts(p: VscParser, a: TokenType, b: TokenType): Alt[] {
  const c = p as unknown as { CONSUME(t: TokenType): IToken };
  return [{ ALT: () => c.CONSUME(a) }, { ALT: () => c.CONSUME(b) }];
}

/** A body's partial statement (undefined if it built none). */
function adoptStmt(d: BodyDraft, stmt: unknown): void {
  if (stmt !== undefined) d.stmts.push(stmt as Stmt);
}

let shared: VscParser | undefined;

/** The process-wide parser, built on first use (construction analyses the grammar once). */
export function getParser(): VscParser {
  return (shared ??= new VscParser(false));
}

export type { IToken };
