/**
 * The vsc grammar (Chevrotain CstParser). Grammar only: the CST is turned into
 * the AST by src/syntax/cst-to-ast.ts, and error messages are built by
 * grammar/messages.ts.
 *
 * Statements are not separated by newlines or `;`: each block knows its keys
 * and how many values each takes, so `cpu { share 4  reserve 25% }` is two
 * statements. A key the block does not know is an `unknownStmt`: the key plus
 * any following literals (never identifiers, so it cannot swallow the next
 * statement) and an optional `{ ... }` body. Statement alternatives are
 * chosen on the key alone (MAX_LOOKAHEAD 1), so `limit }` is "a value is
 * missing after `limit`", not an unknown statement.
 *
 * The CST is kept flat (one node per item and per statement, values stored
 * as tokens in the statement node) because CST allocation dominates parse
 * time on large files. CST labels read by the AST builder:
 *   key      the statement's key token (or the declaration keyword)
 *   name     a declaration's or define's name; `parent` the class after `in`
 *   arg      identifier tokens between the key and the value, in order
 *   item     the value's scalar tokens (one, or a comma list)
 *   lit      an rlimit's one or two values
 *   label    NAME in `link NAME {` / `device NAME {`
 *   lcurly, rcurly, stmt   a body: its braces and its statement nodes in order
 *   value    literalValue nodes (unknown statements only)
 *   direction, proto, peerKw, peers, portKw, ports   an allow rule's parts
 * The node's rule name tells the statement's kind (see cst-to-ast.ts).
 */
import type { IToken, TokenType } from "chevrotain";
import { CstParser } from "./chevrotain.js";
import {
  Allow,
  Capabilities,
  Class,
  Comma,
  Context,
  Cpu,
  CpuKey,
  Define,
  Device,
  DeviceKey,
  Disk,
  Equals,
  From,
  Host,
  HostKey,
  Identifier,
  In,
  Include,
  Io,
  IoKey,
  Keep,
  LCurly,
  Link,
  LinkKey,
  Literal,
  Memory,
  MemoryKey,
  Net,
  NetKey,
  NodeKey,
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
  allTokens,
} from "./tokens.js";
import { errorMessageProvider } from "./messages.js";

type Alt = { ALT: () => unknown; IGNORE_AMBIGUITIES?: boolean };

/**
 * The token types of grammar/tokens.ts are plain objects; constructing any
 * Chevrotain parser over them "augments" them (indices and the transitive
 * category maps). A parser decides whether categories are in use before it
 * augments, so the types are augmented once by this empty parser first, and
 * VscParser then sees the categories.
 */
class Augment extends CstParser {
  constructor() {
    super(allTokens);
  }
}
let augmented = false;

export class VscParser extends CstParser {
  constructor(validate: boolean) {
    if (!augmented) {
      new Augment();
      augmented = true;
    }
    super(allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      skipValidations: !validate,
      errorMessageProvider,
    });
    this.performSelfAnalysis();
  }

  /**
   * Recovery may invent a missing `}`, name or value, but never a `{`: an
   * invented `{` turns the rest of the file into one bogus block.
   */
  override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== LCurly;
  }

  // ---------------------------------------------------------------- top level

  public file = this.RULE("file", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.define, { LABEL: "item" }) },
        { ALT: () => this.SUBRULE(this.include, { LABEL: "item" }) },
        { ALT: () => this.SUBRULE(this.hostDecl, { LABEL: "item" }) },
        { ALT: () => this.SUBRULE(this.templateDecl, { LABEL: "item" }) },
        { ALT: () => this.SUBRULE(this.nodeDecl, { LABEL: "item" }) },
      ]);
    });
  });

  public define = this.RULE("define", () => {
    this.CONSUME(Define, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(Equals);
    this.list(Scalar, "item");
  });

  public include = this.RULE("include", () => {
    this.CONSUME(Include, { LABEL: "key" });
    this.CONSUME(StringLit, { LABEL: "path" });
  });

  public hostDecl = this.RULE("hostDecl", () => {
    this.CONSUME(Host, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "name" });
    this.body([
      { ALT: () => this.SUBRULE(this.hostKv, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.hostDisk, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.hostLink, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.hostPair, { LABEL: "stmt" }) },
      this.unknownAlt(),
    ]);
  });

  public templateDecl = this.RULE("templateDecl", () => {
    this.CONSUME(Template, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "name" });
    this.nodeBody();
  });

  public nodeDecl = this.RULE("nodeDecl", () => {
    this.OR([
      { ALT: () => this.CONSUME(Class, { LABEL: "key" }) },
      { ALT: () => this.CONSUME(Context, { LABEL: "key" }) },
    ]);
    this.CONSUME1(Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(In, { LABEL: "inKw" });
      this.CONSUME2(Identifier, { LABEL: "parent" });
    });
    this.nodeBody();
  });

  // ---------------------------------------------------------------- host statements

  /** cpus, memory, cgroup-root */
  public hostKv = this.RULE("hostKv", () => this.keyList(HostKey));
  /** disk NAME MAJ:MIN */
  public hostDisk = this.RULE("hostDisk", () => {
    this.CONSUME(Disk, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "arg" });
    this.list(Scalar, "item");
  });
  /** link NAME rate RATE */
  public hostLink = this.RULE("hostLink", () => {
    this.CONSUME(Link, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "arg" });
    this.CONSUME(Rate, { LABEL: "arg" });
    this.list(Scalar, "item");
  });
  /** keep cpu|memory Q, overbook cpu|memory F */
  public hostPair = this.RULE("hostPair", () => {
    this.OR([
      { ALT: () => this.CONSUME(Keep, { LABEL: "key" }) },
      { ALT: () => this.CONSUME(Overbook, { LABEL: "key" }) },
    ]);
    this.CONSUME(Identifier, { LABEL: "arg" });
    this.list(Scalar, "item");
  });

  // ---------------------------------------------------------------- template / class / context

  /** use NAME, id N */
  public nodeKv = this.RULE("nodeKv", () => this.keyList(NodeKey));

  public cpuBlock = this.RULE("cpuBlock", () => {
    this.CONSUME(Cpu, { LABEL: "key" });
    this.body([{ ALT: () => this.SUBRULE(this.cpuKv, { LABEL: "stmt" }) }, this.unknownAlt()]);
  });
  public cpuKv = this.RULE("cpuKv", () => this.keyList(CpuKey));

  public memoryBlock = this.RULE("memoryBlock", () => {
    this.CONSUME(Memory, { LABEL: "key" });
    this.body([{ ALT: () => this.SUBRULE(this.memoryKv, { LABEL: "stmt" }) }, this.unknownAlt()]);
  });
  public memoryKv = this.RULE("memoryKv", () => this.keyList(MemoryKey));

  public pidsBlock = this.RULE("pidsBlock", () => {
    this.CONSUME(Pids, { LABEL: "key" });
    this.body([{ ALT: () => this.SUBRULE(this.pidsKv, { LABEL: "stmt" }) }, this.unknownAlt()]);
  });
  public pidsKv = this.RULE("pidsKv", () => this.keyList(PidsKey));

  public ioBlock = this.RULE("ioBlock", () => {
    this.CONSUME(Io, { LABEL: "key" });
    this.body([
      { ALT: () => this.SUBRULE(this.ioKv, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.deviceBlock, { LABEL: "stmt" }) },
      this.unknownAlt(),
    ]);
  });
  public ioKv = this.RULE("ioKv", () => this.keyList(IoKey));
  public deviceBlock = this.RULE("deviceBlock", () => {
    this.CONSUME(Device, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "label" });
    this.body([{ ALT: () => this.SUBRULE(this.deviceKv, { LABEL: "stmt" }) }, this.unknownAlt()]);
  });
  public deviceKv = this.RULE("deviceKv", () => this.keyList(DeviceKey));

  public netBlock = this.RULE("netBlock", () => {
    this.CONSUME(Net, { LABEL: "key" });
    this.body([
      { ALT: () => this.SUBRULE(this.netKv, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.linkBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.allowStmt, { LABEL: "stmt" }) },
      this.unknownAlt(),
    ]);
  });
  /** address LIST, default deny|allow */
  public netKv = this.RULE("netKv", () => this.keyList(NetKey));
  public linkBlock = this.RULE("linkBlock", () => {
    this.CONSUME(Link, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "label" });
    this.body([{ ALT: () => this.SUBRULE(this.linkKv, { LABEL: "stmt" }) }, this.unknownAlt()]);
  });
  public linkKv = this.RULE("linkKv", () => this.keyList(LinkKey));

  /** allow (in|out) PROTO? ((from|to) LIST)? (port LIST)? */
  public allowStmt = this.RULE("allowStmt", () => {
    this.CONSUME(Allow, { LABEL: "key" });
    this.OR([
      { ALT: () => this.CONSUME(In, { LABEL: "direction" }) },
      { ALT: () => this.CONSUME(Out, { LABEL: "direction" }) },
    ]);
    this.OPTION1(() => this.CONSUME(PlainName, { LABEL: "proto" }));
    this.OPTION2(() => {
      this.OR2([
        { ALT: () => this.CONSUME(From, { LABEL: "peerKw" }) },
        { ALT: () => this.CONSUME(To, { LABEL: "peerKw" }) },
      ]);
      this.CONSUME1(Scalar, { LABEL: "peers" });
      this.MANY1(() => {
        this.CONSUME1(Comma);
        this.CONSUME2(Scalar, { LABEL: "peers" });
      });
    });
    this.OPTION3(() => {
      this.CONSUME(Port, { LABEL: "portKw" });
      this.CONSUME3(Scalar, { LABEL: "ports" });
      this.MANY2(() => {
        this.CONSUME2(Comma);
        this.CONSUME4(Scalar, { LABEL: "ports" });
      });
    });
  });

  public rlimitBlock = this.RULE("rlimitBlock", () => {
    this.CONSUME(Rlimit, { LABEL: "key" });
    this.body([{ ALT: () => this.SUBRULE(this.rlimitStmt, { LABEL: "stmt" }) }]);
  });
  /** Any rlimit name (the checker knows the list) and `soft` or `soft hard`. */
  public rlimitStmt = this.RULE("rlimitStmt", () => {
    this.CONSUME(StmtKey, { LABEL: "key" });
    this.CONSUME1(Literal, { LABEL: "lit" });
    this.OPTION(() => this.CONSUME2(Literal, { LABEL: "lit" }));
  });

  public securityBlock = this.RULE("securityBlock", () => {
    this.CONSUME(Security, { LABEL: "key" });
    this.body([
      { ALT: () => this.SUBRULE(this.capsStmt, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.securityKv, { LABEL: "stmt" }) },
      this.unknownAlt(),
    ]);
  });
  /** capabilities keep|drop LIST */
  public capsStmt = this.RULE("capsStmt", () => {
    this.CONSUME(Capabilities, { LABEL: "key" });
    this.CONSUME(Identifier, { LABEL: "arg" });
    this.list(Scalar, "item");
  });
  /** namespaces LIST, hostname "..", root ".." */
  public securityKv = this.RULE("securityKv", () => this.keyList(SecurityKey));

  // ---------------------------------------------------------------- unknown keys

  public unknownStmt = this.RULE("unknownStmt", () => {
    this.CONSUME(StmtKey, { LABEL: "key" });
    this.MANY1(() => this.SUBRULE(this.literalValue, { LABEL: "value" }));
    this.OPTION(() => {
      this.CONSUME(LCurly, { LABEL: "lcurly" });
      this.MANY2(() => this.SUBRULE(this.unknownStmt, { LABEL: "stmt" }));
      this.CONSUME(RCurly, { LABEL: "rcurly" });
    });
  });

  /** Literals (no identifiers) after an unknown key: one, or a comma list. */
  public literalValue = this.RULE("literalValue", () => this.list(Literal, "item"));

  // ---------------------------------------------------------------- helpers (inlined into the calling rule)

  private nodeBody(): void {
    this.body([
      { ALT: () => this.SUBRULE(this.nodeKv, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.cpuBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.memoryBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.pidsBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.ioBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.netBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.rlimitBlock, { LABEL: "stmt" }) },
      { ALT: () => this.SUBRULE(this.securityBlock, { LABEL: "stmt" }) },
      this.unknownAlt(),
    ]);
  }

  private unknownAlt(): Alt {
    return {
      ALT: () => this.SUBRULE9(this.unknownStmt, { LABEL: "stmt" }),
      IGNORE_AMBIGUITIES: true,
    };
  }

  /** `{ stmt* }`, each statement chosen on its key alone. */
  private body(alts: Alt[]): void {
    this.CONSUME9(LCurly, { LABEL: "lcurly" });
    this.MANY9(() => this.OR9({ MAX_LOOKAHEAD: 1, DEF: alts }));
    this.CONSUME9(RCurly, { LABEL: "rcurly" });
  }

  private keyList(key: TokenType): void {
    this.CONSUME8(key, { LABEL: "key" });
    this.list(Scalar, "item");
  }

  /** One value or a comma list, stored as `label` tokens of the calling rule. */
  private list(type: TokenType, label: string): void {
    this.CONSUME7(type, { LABEL: label });
    this.MANY8(() => {
      this.CONSUME7(Comma);
      this.CONSUME6(type, { LABEL: label });
    });
  }
}

let shared: VscParser | undefined;

/** The process-wide parser, built on first use (construction analyses the grammar once). */
export function getParser(): VscParser {
  return (shared ??= new VscParser(false));
}

export type { IToken };
