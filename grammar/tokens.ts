/**
 * Token types of the vsc language, for the Chevrotain parser.
 *
 * The lexer (grammar/lexer.ts, hand-written for speed) matches only a handful
 * of raw shapes: blanks, comments, strings, punctuation, the spaced cpu
 * quantity (`1.5 cpus`) and one catch-all "atom" (a run of characters up to a
 * blank or a punctuation mark). It then gives every atom its real type
 * (keyword, name, number, quantity, address, ...) or marks it bad. Lexing a whole bad word as
 * one atom is what makes `Web`, `a.b`, `a/b` or `a;rm` a single error with an
 * exact span instead of a valid name followed by debris.
 *
 * Categories let the grammar say "any name" (`Identifier`: plain names and
 * every keyword, so `keep cpu 10%` or a context called `io` work) and "any
 * value" (`Scalar`) with a single CONSUME.
 */
import type { TokenType } from "chevrotain";

/**
 * A token type as a plain object: the lexer needs only the objects'
 * identities and categories, so it runs (and is tested) without loading
 * Chevrotain. When the grammar is built, Chevrotain "augments" every type in its
 * vocabulary (indices, transitive category maps: the same work `createToken`
 * does), as it does for token types made by any means.
 */
function createToken(c: { name: string; categories?: TokenType[]; label?: string }): TokenType {
  const t: TokenType = { name: c.name, CATEGORIES: c.categories ?? [] };
  if (c.label !== undefined) t.LABEL = c.label;
  return t;
}

// ------------------------------------------------------------ categories

/** Anything that can stand where a name is expected: names, keywords, bad names. */
export const Identifier = createToken({
  name: "Identifier",
});
/** A non-keyword word (names, protocols); also bad names, so errors stay local. */
export const PlainName = createToken({ name: "PlainName" });
/** Values that are not identifiers: they can follow an unknown key without swallowing the next statement. */
export const Literal = createToken({ name: "Literal" });
/**
 * A word that may start a statement inside a block: every identifier except
 * the top-level keywords, so a missing `}` is noticed at the next `context`
 * instead of swallowing it as an unknown statement.
 */
export const StmtKey = createToken({ name: "StmtKey" });
/** Any single value. */
export const Scalar = createToken({ name: "Scalar" });

// ------------------------------------------------------------ raw tokens (matched by grammar/lexer.ts)

/** `#` or `//` to the end of the line; kept aside for the formatter, never given to the parser. */
export const Comment = createToken({ name: "Comment" });
export const LCurly = createToken({ name: "LCurly", label: "`{`" });
export const RCurly = createToken({ name: "RCurly", label: "`}`" });
export const Comma = createToken({ name: "Comma", label: "`,`" });
export const Equals = createToken({ name: "Equals", label: "`=`" });
/** A string; a malformed one is reported by the lexer and still typed String so parsing goes on. */
export const StringLit = createToken({
  name: "String",
  categories: [Literal, Scalar],
  label: "a string",
});
/** `1.5 cpus` / `1 cpu`: the spaced form of a cpu quantity (see the lexer for when it applies). */
export const CpuQuantity = createToken({
  name: "CpuQuantity",
  categories: [Literal, Scalar],
  label: "a quantity",
});

// ------------------------------------------------------------ atom classes (assigned by the post-pass)

const cls = (name: string, categories: TokenType[], label: string): TokenType =>
  createToken({ name, categories, label });

export const Name = cls("Name", [Identifier, StmtKey, PlainName, Scalar], "a name");
/** A word that is not a valid name; reported by the post-pass, never put in the AST. */
export const BadName = cls("BadName", [Identifier, StmtKey, PlainName, Scalar], "a name");
export const NumberLit = cls("Number", [Literal, Scalar], "a number");
export const Quantity = cls("Quantity", [Literal, Scalar], "a quantity");
export const Address = cls("Address", [Literal, Scalar], "an address");
export const Var = cls("Var", [Literal, Scalar], "a `$` reference");
export const DevNum = cls("DevNum", [Literal, Scalar], "a device number");
export const Range = cls("Range", [Literal, Scalar], "a range");
/** A malformed number or address, or a bad `$` reference; reported by the post-pass. */
export const BadValue = cls("BadValue", [Literal, Scalar], "a value");

// ------------------------------------------------------------ keywords

const KW_CATS = [Identifier, Scalar];
const kw = (word: string, extra: TokenType[] = [StmtKey]): TokenType =>
  createToken({
    name: "Kw_" + word.replace(/-/g, "_"),
    categories: [...KW_CATS, ...extra],
    label: "`" + word + "`",
  });

// Per-block key categories: a key the block knows, followed by one value.
export const CpuKey = createToken({ name: "CpuKey" });
export const MemoryKey = createToken({ name: "MemoryKey" });
export const DeviceKey = createToken({ name: "DeviceKey" });
export const LinkKey = createToken({ name: "LinkKey" });
export const HostKey = createToken({ name: "HostKey" });
export const SecurityKey = createToken({
  name: "SecurityKey",
});
export const NodeKey = createToken({ name: "NodeKey" });
export const PidsKey = createToken({ name: "PidsKey" });
export const IoKey = createToken({ name: "IoKey" });
export const NetKey = createToken({ name: "NetKey" });
/** `KEY MODE LIST` statements of security: `capabilities keep a, b`, `syscalls deny "@mount"`. */
export const ModeKey = createToken({ name: "ModeKey" });
/** Keys of a host's `link NAME rate R { ... }` body, of `traffic NAME { ... }` and of a context link's `ingress { ... }` (language-v2.md §3). */
export const HostLinkKey = createToken({ name: "HostLinkKey" });
export const TrafficKey = createToken({ name: "TrafficKey" });
export const IngressKey = createToken({ name: "IngressKey" });

export const Define = kw("define", []);
export const Include = kw("include", []);
export const Host = kw("host", []);
export const Template = kw("template", []);
export const Class = kw("class", []);
export const Context = kw("context", []);
export const In = kw("in");
/** `group NAME = HOST, ...` (a top-level item; also a statement key, for `security { group ... }`). */
export const Group = kw("group", [StmtKey, SecurityKey]);
/** `on HOSTS` after a class or context's name (and `in PARENT`). */
export const On = kw("on");
export const Out = kw("out");
export const Use = kw("use", [StmtKey, NodeKey]);
export const Id = kw("id", [StmtKey, NodeKey]);
export const Cpu = kw("cpu");
export const Cpus = kw("cpus", [StmtKey, HostKey, CpuKey]);
export const Memory = kw("memory", [StmtKey, HostKey]);
export const Pids = kw("pids");
export const Io = kw("io");
export const Net = kw("net");
export const Rlimit = kw("rlimit");
export const Security = kw("security");
export const Share = kw("share", [StmtKey, CpuKey, LinkKey, IoKey]);
export const Reserve = kw("reserve", [StmtKey, CpuKey, MemoryKey, LinkKey, TrafficKey, IngressKey]);
export const Limit = kw("limit", [
  StmtKey,
  CpuKey,
  MemoryKey,
  LinkKey,
  PidsKey,
  TrafficKey,
  IngressKey,
]);
export const Burst = kw("burst", [StmtKey, CpuKey]);
export const Cores = kw("cores", [StmtKey, CpuKey]);
export const Low = kw("low", [StmtKey, MemoryKey]);
export const High = kw("high", [StmtKey, MemoryKey]);
export const Swap = kw("swap", [StmtKey, MemoryKey]);
export const Device = kw("device");
export const Read = kw("read", [StmtKey, DeviceKey]);
export const Write = kw("write", [StmtKey, DeviceKey]);
export const Riops = kw("riops", [StmtKey, DeviceKey]);
export const Wiops = kw("wiops", [StmtKey, DeviceKey]);
export const AddressKw = kw("address", [StmtKey, NetKey]);
export const Link = kw("link");
export const Allow = kw("allow");
export const From = kw("from");
export const To = kw("to");
export const Port = kw("port");
/** `default deny|reject|allow [log]` has its own rule (netBlock), so `default` is no NetKey. */
export const Default = kw("default");
export const Except = kw("except", []);
export const Log = kw("log", []);
export const Capabilities = kw("capabilities", [StmtKey, ModeKey]);
export const Syscalls = kw("syscalls", [StmtKey, ModeKey]);
export const User = kw("user", [StmtKey, SecurityKey]);
export const Filesystem = kw("filesystem", [StmtKey, SecurityKey]);
export const Writable = kw("writable", [StmtKey, SecurityKey]);
export const Tmp = kw("tmp", [StmtKey, SecurityKey]);
export const Devices = kw("devices", [StmtKey, SecurityKey]);
export const Oom = kw("oom", [StmtKey, MemoryKey]);
export const Namespaces = kw("namespaces", [StmtKey, SecurityKey]);
export const Hostname = kw("hostname", [StmtKey, SecurityKey]);
export const Root = kw("root", [StmtKey, SecurityKey]);
export const Disk = kw("disk");
export const Rate = kw("rate");
export const Keep = kw("keep");
export const Overbook = kw("overbook");
export const CgroupRoot = kw("cgroup-root", [StmtKey, HostKey]);
export const Traffic = kw("traffic");
export const Match = kw("match");
export const Prio = kw("prio", [StmtKey, TrafficKey]);
export const Qdisc = kw("qdisc", [StmtKey, HostLinkKey, LinkKey, TrafficKey]);
export const Ingress = kw("ingress", [StmtKey, HostLinkKey]);
/** `driver cgroupfs|systemd` in host (language-v2.md §6). */
export const Driver = kw("driver", [StmtKey, HostKey]);
/** `units "a.service", ...` in a context (language-v2.md §6). */
export const Units = kw("units", [StmtKey, NodeKey]);
/** `max`: "no limit"; also a literal, so it may follow an unknown key. */
export const Max = kw("max", [StmtKey, Literal]);

/** Keyword lookup for the post-pass: word -> token type. */
export const KEYWORDS: ReadonlyMap<string, TokenType> = new Map(
  [
    Define,
    Include,
    Host,
    Template,
    Class,
    Context,
    In,
    Group,
    On,
    Out,
    Use,
    Id,
    Cpu,
    Cpus,
    Memory,
    Pids,
    Io,
    Net,
    Rlimit,
    Security,
    Share,
    Reserve,
    Limit,
    Burst,
    Cores,
    Low,
    High,
    Swap,
    Device,
    Read,
    Write,
    Riops,
    Wiops,
    AddressKw,
    Link,
    Allow,
    From,
    To,
    Port,
    Default,
    Except,
    Log,
    Capabilities,
    Syscalls,
    User,
    Group,
    Filesystem,
    Writable,
    Tmp,
    Devices,
    Oom,
    Namespaces,
    Hostname,
    Root,
    Disk,
    Rate,
    Keep,
    Overbook,
    CgroupRoot,
    Traffic,
    Match,
    Prio,
    Qdisc,
    Ingress,
    Driver,
    Units,
    Max,
  ].map((t) => [String(t.LABEL).slice(1, -1), t]),
);

/** Tokens that start a top-level item; the parser re-synchronises on them. */
export const ITEM_STARTS: ReadonlySet<TokenType> = new Set([
  Define,
  Include,
  Host,
  Template,
  Class,
  Context,
]);

/** Every token type the parser must know (raw, classes, keywords and categories). */
export const allTokens: TokenType[] = [
  Comment,
  LCurly,
  RCurly,
  Comma,
  Equals,
  StringLit,
  CpuQuantity,
  Identifier,
  StmtKey,
  PlainName,
  Literal,
  Scalar,
  CpuKey,
  MemoryKey,
  DeviceKey,
  LinkKey,
  HostKey,
  SecurityKey,
  NodeKey,
  PidsKey,
  IoKey,
  NetKey,
  ModeKey,
  HostLinkKey,
  TrafficKey,
  IngressKey,
  Name,
  BadName,
  NumberLit,
  Quantity,
  Address,
  Var,
  DevNum,
  Range,
  BadValue,
  ...KEYWORDS.values(),
];
