/**
 * The vsc grammar (Chevrotain CstParser). Grammar only: the CST is turned into
 * the AST by src/syntax/cst-to-ast.ts, and error messages are built by
 * grammar/messages.ts.
 *
 * Statements are not separated by newlines or `;`: each block knows its keys
 * and how many values each takes, so `cpu { share 4  reserve 25% }` is two
 * statements. A key the block does not know is an `unknownStmt`: the key plus
 * any following literals (never identifiers, so it cannot swallow the next
 * statement) and an optional `{ ... }` body.
 *
 * CST labels used by the AST builder, per statement node:
 *   key (token), arg (identifier tokens before the value, in order), value
 *   (value nodes), stmt (nested statement nodes, in order), lcurly/rcurly,
 *   label (the NAME of `link NAME {` / `device NAME {`), unknown (an
 *   unknownStmt node), and for allow: direction, proto, peerKw, peers, portKw, ports.
 */
import { CstParser, type IToken, type TokenType } from "chevrotain";
import {
  Allow,
  AddressKw,
  Capabilities,
  Class,
  Comma,
  Context,
  Cpu,
  CpuKey,
  Default,
  Define,
  Device,
  DeviceKey,
  Disk,
  Equals,
  From,
  Host,
  HostKey,
  Id,
  Identifier,
  In,
  Include,
  Io,
  Keep,
  LCurly,
  Limit,
  Link,
  LinkKey,
  Literal,
  Memory,
  MemoryKey,
  Net,
  Out,
  Overbook,
  Pids,
  PlainName,
  Port,
  RCurly,
  Rate,
  Rlimit,
  Scalar,
  Security,
  SecurityKey,
  Share,
  StringLit,
  Template,
  To,
  Use,
  allTokens,
} from "./tokens.js";
import { errorMessageProvider } from "./messages.js";

export class VscParser extends CstParser {
  constructor(validate: boolean) {
    super(allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      skipValidations: !validate,
      errorMessageProvider,
    });
    this.performSelfAnalysis();
  }

  // ---------------------------------------------------------------- values

  /** `a`, `80, 443`, `10.0.0.11, fd00::11`: one scalar or a comma list. */
  public value = this.RULE("value", () => {
    this.consume(1, Scalar, { LABEL: "item" });
    this.MANY(() => {
      this.consume(2, Comma);
      this.consume(3, Scalar, { LABEL: "item" });
    });
  });

  /** Like `value`, but without identifiers: what may follow an unknown key. */
  public literalValue = this.RULE("literalValue", () => {
    this.consume(1, Literal, { LABEL: "item" });
    this.MANY(() => {
      this.consume(2, Comma);
      this.consume(3, Literal, { LABEL: "item" });
    });
  });

  // ---------------------------------------------------------------- top level

  public file = this.RULE("file", () => {
    this.MANY(() => this.subrule(1, this.item, { LABEL: "item" }));
  });

  public item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.subrule(1, this.define) },
      { ALT: () => this.subrule(2, this.include) },
      { ALT: () => this.subrule(3, this.hostDecl) },
      { ALT: () => this.subrule(4, this.templateDecl) },
      { ALT: () => this.subrule(5, this.nodeDecl) },
    ]);
  });

  public define = this.RULE("define", () => {
    this.consume(1, Define, { LABEL: "key" });
    this.consume(2, Identifier, { LABEL: "name" });
    this.consume(3, Equals);
    this.subrule(4, this.value, { LABEL: "value" });
  });

  public include = this.RULE("include", () => {
    this.consume(1, Include, { LABEL: "key" });
    this.consume(2, StringLit, { LABEL: "path" });
  });

  public hostDecl = this.RULE("hostDecl", () => {
    this.consume(1, Host, { LABEL: "key" });
    this.consume(2, Identifier, { LABEL: "name" });
    this.body(3, this.hostStmt);
  });

  public templateDecl = this.RULE("templateDecl", () => {
    this.consume(1, Template, { LABEL: "key" });
    this.consume(2, Identifier, { LABEL: "name" });
    this.body(3, this.nodeStmt);
  });

  public nodeDecl = this.RULE("nodeDecl", () => {
    this.OR([
      { ALT: () => this.consume(1, Class, { LABEL: "key" }) },
      { ALT: () => this.consume(2, Context, { LABEL: "key" }) },
    ]);
    this.consume(3, Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.consume(4, In, { LABEL: "inKw" });
      this.consume(5, Identifier, { LABEL: "parent" });
    });
    this.body(6, this.nodeStmt);
  });

  // ---------------------------------------------------------------- host

  public hostStmt = this.RULE("hostStmt", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.keyValue(1, HostKey) }, // cpus, cgroup-root
        { ALT: () => this.keyValue(2, Memory) },
        {
          ALT: () => {
            this.consume(3, Disk, { LABEL: "key" });
            this.consume(4, Identifier, { LABEL: "arg" });
            this.subrule(5, this.value, { LABEL: "value" });
          },
        },
        {
          ALT: () => {
            this.consume(6, Link, { LABEL: "key" });
            this.consume(7, Identifier, { LABEL: "arg" });
            this.consume(8, Rate, { LABEL: "arg" });
            this.subrule(9, this.value, { LABEL: "value" });
          },
        },
        {
          ALT: () => {
            this.OR2([
              { ALT: () => this.consume(10, Keep, { LABEL: "key" }) },
              { ALT: () => this.consume(11, Overbook, { LABEL: "key" }) },
            ]);
            this.consume(12, Identifier, { LABEL: "arg" });
            this.subrule(13, this.value, { LABEL: "value" });
          },
        },
        {
          ALT: () => this.subrule(14, this.unknownStmt, { LABEL: "unknown" }),
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  });

  // ---------------------------------------------------------------- template / class / context

  public nodeStmt = this.RULE("nodeStmt", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.keyValue(1, Use) },
        { ALT: () => this.keyValue(2, Id) },
        { ALT: () => this.subrule(3, this.cpuBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(4, this.memoryBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(5, this.pidsBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(6, this.ioBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(7, this.netBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(8, this.rlimitBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(9, this.securityBlock, { LABEL: "block" }) },
        {
          ALT: () => this.subrule(10, this.unknownStmt, { LABEL: "unknown" }),
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  });

  public cpuBlock = this.RULE("cpuBlock", () => {
    this.consume(1, Cpu, { LABEL: "key" });
    this.body(2, this.cpuStmt);
  });
  public cpuStmt = this.RULE("cpuStmt", () => this.keyValueOrUnknown(CpuKey));

  public memoryBlock = this.RULE("memoryBlock", () => {
    this.consume(1, Memory, { LABEL: "key" });
    this.body(2, this.memoryStmt);
  });
  public memoryStmt = this.RULE("memoryStmt", () =>
    this.keyValueOrUnknown(MemoryKey),
  );

  public pidsBlock = this.RULE("pidsBlock", () => {
    this.consume(1, Pids, { LABEL: "key" });
    this.body(2, this.pidsStmt);
  });
  public pidsStmt = this.RULE("pidsStmt", () => this.keyValueOrUnknown(Limit));

  public ioBlock = this.RULE("ioBlock", () => {
    this.consume(1, Io, { LABEL: "key" });
    this.body(2, this.ioStmt);
  });
  public ioStmt = this.RULE("ioStmt", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.keyValue(1, Share) },
        { ALT: () => this.subrule(2, this.deviceBlock, { LABEL: "block" }) },
        {
          ALT: () => this.subrule(3, this.unknownStmt, { LABEL: "unknown" }),
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  });
  public deviceBlock = this.RULE("deviceBlock", () => {
    this.consume(1, Device, { LABEL: "key" });
    this.consume(2, Identifier, { LABEL: "label" });
    this.body(3, this.deviceStmt);
  });
  public deviceStmt = this.RULE("deviceStmt", () =>
    this.keyValueOrUnknown(DeviceKey),
  );

  public netBlock = this.RULE("netBlock", () => {
    this.consume(1, Net, { LABEL: "key" });
    this.body(2, this.netStmt);
  });
  public netStmt = this.RULE("netStmt", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.keyValue(1, AddressKw) },
        { ALT: () => this.subrule(2, this.linkBlock, { LABEL: "block" }) },
        { ALT: () => this.subrule(3, this.allowStmt, { LABEL: "allow" }) },
        { ALT: () => this.keyValue(4, Default) },
        {
          ALT: () => this.subrule(5, this.unknownStmt, { LABEL: "unknown" }),
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  });
  public linkBlock = this.RULE("linkBlock", () => {
    this.consume(1, Link, { LABEL: "key" });
    this.consume(2, Identifier, { LABEL: "label" });
    this.body(3, this.linkStmt);
  });
  public linkStmt = this.RULE("linkStmt", () =>
    this.keyValueOrUnknown(LinkKey),
  );

  /** allow (in|out) PROTO? ((from|to) LIST)? (port LIST)? */
  public allowStmt = this.RULE("allowStmt", () => {
    this.consume(1, Allow, { LABEL: "key" });
    this.OR([
      { ALT: () => this.consume(2, In, { LABEL: "direction" }) },
      { ALT: () => this.consume(3, Out, { LABEL: "direction" }) },
    ]);
    this.OPTION1(() => this.consume(4, PlainName, { LABEL: "proto" }));
    this.OPTION2(() => {
      this.OR2([
        { ALT: () => this.consume(5, From, { LABEL: "peerKw" }) },
        { ALT: () => this.consume(6, To, { LABEL: "peerKw" }) },
      ]);
      this.subrule(7, this.value, { LABEL: "peers" });
    });
    this.OPTION3(() => {
      this.consume(8, Port, { LABEL: "portKw" });
      this.subrule(9, this.value, { LABEL: "ports" });
    });
  });

  public rlimitBlock = this.RULE("rlimitBlock", () => {
    this.consume(1, Rlimit, { LABEL: "key" });
    this.body(2, this.rlimitStmt);
  });
  /** Any rlimit name (the checker knows the list) and `soft` or `soft hard`. */
  public rlimitStmt = this.RULE("rlimitStmt", () => {
    this.consume(1, Identifier, { LABEL: "key" });
    this.consume(2, Literal, { LABEL: "lit" });
    this.OPTION(() => this.consume(3, Literal, { LABEL: "lit" }));
  });

  public securityBlock = this.RULE("securityBlock", () => {
    this.consume(1, Security, { LABEL: "key" });
    this.body(2, this.securityStmt);
  });
  public securityStmt = this.RULE("securityStmt", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        {
          ALT: () => {
            this.consume(1, Capabilities, { LABEL: "key" });
            this.consume(2, Identifier, { LABEL: "arg" }); // keep | drop
            this.subrule(3, this.value, { LABEL: "value" });
          },
        },
        { ALT: () => this.keyValue(4, SecurityKey) }, // namespaces, hostname, root
        {
          ALT: () => this.subrule(5, this.unknownStmt, { LABEL: "unknown" }),
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  });

  // ---------------------------------------------------------------- unknown keys

  public unknownStmt = this.RULE("unknownStmt", () => {
    this.consume(1, Identifier, { LABEL: "key" });
    this.MANY1(() => this.subrule(2, this.literalValue, { LABEL: "value" }));
    this.OPTION(() => {
      this.consume(3, LCurly, { LABEL: "lcurly" });
      this.MANY2(() => this.subrule(4, this.unknownStmt, { LABEL: "stmt" }));
      this.consume(5, RCurly, { LABEL: "rcurly" });
    });
  });

  // ---------------------------------------------------------------- helpers (inlined into the calling rule)

  private keyValue(idx: number, key: TokenType): void {
    this.consume(idx, key, { LABEL: "key" });
    this.subrule(idx, this.value, { LABEL: "value" });
  }

  private keyValueOrUnknown(key: TokenType): void {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.keyValue(1, key) },
        {
          ALT: () => this.subrule(2, this.unknownStmt, { LABEL: "unknown" }),
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  }

  private body(idx: number, stmt: () => unknown): void {
    this.consume(idx, LCurly, { LABEL: "lcurly" });
    this.MANY(() => this.subrule(idx, stmt as never, { LABEL: "stmt" }));
    this.consume(idx + 1, RCurly, { LABEL: "rcurly" });
  }
}

let shared: VscParser | undefined;

/** The process-wide parser, built on first use (construction analyses the grammar once). */
export function getParser(): VscParser {
  return (shared ??= new VscParser(false));
}

/** The name of every rule, for messages ("in a `cpu` block"). */
export type RuleName = keyof VscParser;

export type { IToken };
