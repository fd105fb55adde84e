/**
 * The applier's data: what the kernel looks like now (ObservedState, read by
 * src/apply/observe.ts) and what must change (Plan, computed by
 * src/plan/plan.ts, a pure function). A Plan is plain JSON-able data: it is
 * shown to a person, saved with `-out`, and executed later exactly as written
 * (Terraform's plans/action.go model).
 */

/** What the applier reads: the owned cgroup subtree, `table inet vsc`, these links. */
export interface Scope {
  /** Owned subtree below the cgroup2 mount, e.g. "vsc". */
  cgroupRoot: string;
  /** Interface files read in every owned cgroup, sorted. */
  files: string[];
  /** Links whose root qdisc vsc owns, sorted. */
  links: string[];
  /**
   * Links whose ingress vsc owns (language-v2.md §3): the link's ingress
   * qdisc when it holds vsc's redirect, and the IFB device vsc-in-<link>
   * with everything on it. Every declared link, sorted; absent in plans made
   * before vsc applied ingress (nothing of it is then read or touched).
   */
  ingress?: string[];
}

export interface ObservedCgroup {
  /** Relative to the mount, e.g. "vsc/web-tier/web". */
  path: string;
  /** Enabled controllers in cgroup.subtree_control, sorted. */
  subtreeControl: string[];
  /** Values of the scope's files that exist here, normalised (see normalizeValue). */
  files: Record<string, string>;
  /** Number of processes in cgroup.procs (not part of the fingerprint: it moves all the time). */
  procs: number;
  /**
   * Only in a scratch tree (--cgroup-mount DIR): the interface files a
   * half-made cgroup lacks (an apply killed between its mkdir and its files).
   * The planner completes it. A real cgroup2 mkdir is atomic.
   */
  incomplete?: string[];
}

export interface TcClassState {
  /** Parent handle or class: "1:" for the root class, else "1:fffe", "1:65"... */
  parent: string;
  /** bit/s, as tc reports it (tc's own rounding applied to desired values before comparing). */
  rate: number;
  ceil: number;
  /** bytes; undefined when tc does not report it (inner classes). */
  quantum?: number;
  /** HTB prio 0..7 (traffic classes, language-v2.md §3); undefined: not compared (v1 classes, tc's 0). */
  prio?: number;
  /** Kind of the leaf qdisc attached below this class, e.g. "fq_codel". */
  leafQdisc?: string;
}

export interface TcQdiscState {
  kind: string;
  handle: string;
  /** HTB default classid ("1:fffe") when kind is htb. */
  defaultClassid?: string;
}

/** A u32 filter of vsc's on an IFB device: one context's (prio = its id). */
export interface TcFilterState {
  /** The class it sends packets to, "1:324". */
  flowid: string;
  /**
   * One u32 node per address, each its keys as tc prints them,
   * "value/mask@offset" (8 hex digits), in offset order; nodes sorted.
   */
  nodes: string[];
}

/** The ingress qdisc of a link (handle ffff:) as vsc sees it. */
export interface IngressState {
  /** The IFB device its one filter redirects everything to; absent: it holds no filter. */
  redirect?: string;
}

export interface ObservedIngress extends IngressState {
  /** "ingress", or "clsact" (which vsc never makes). */
  kind: string;
  /** Filters on it that are not vsc's one redirect, described: then it is not vsc's. */
  foreign?: string[];
}

/** A network device as `ip -d link show` reports it (IFB devices). */
export interface ObservedDevice {
  /** linkinfo kind: "ifb" for vsc's; "" when it has none. */
  kind: string;
  alias?: string;
  up: boolean;
}

export interface ObservedLink {
  dev: string;
  exists: boolean;
  qdisc?: TcQdiscState;
  /** classid -> state, only when the root qdisc is HTB. */
  classes: Record<string, TcClassState>;
  /** A declared link: its ingress (or clsact) qdisc; absent when it has none. */
  ingress?: ObservedIngress;
  /** An IFB device (vsc-in-<link>): the device; absent when it does not exist. */
  device?: ObservedDevice;
  /** An IFB device: the u32 filters under 1:, by prio (decimal). */
  filters?: Record<string, TcFilterState>;
  /** An IFB device: filters that are not in vsc's form, described. */
  foreignFilters?: string[];
}

export interface ObservedNft {
  /** `table inet vsc` exists. */
  present: boolean;
  /** The digest stored inside the table (`comment "vsc:<digest>"`), if any. */
  digest?: string;
  /**
   * Every nft table ("inet vsc", "ip filter", ...), sorted: read in the same
   * nft process, not part of the fingerprint (other tables are not vsc's), and
   * compared after a rollback to prove no other table was made or removed.
   */
  tables?: string[];
}

export interface ObservedState {
  cgroupRoot: string;
  /** Every cgroup of the owned subtree, parents before children (empty when the root is absent). */
  cgroups: ObservedCgroup[];
  nft: ObservedNft;
  links: ObservedLink[];
  /** A previous apply was killed half-way (its journal marker is still there). */
  interrupted: boolean;
}

export type Op = "create" | "update" | "delete";

interface ActionBase {
  op: Op;
  /** Human address, e.g. "cgroup vsc/web", "cgroup vsc/web cpu.weight", "tc eth0 class 1:65". */
  address: string;
  /** Why the action exists when it is not a plain difference (e.g. a forced nft reload). */
  reason?: string;
}

export interface CgroupAction extends ActionBase {
  type: "cgroup";
  op: "create" | "delete";
  path: string;
  /** Delete only: processes found in it when planned. */
  procs?: number;
  /** Delete only, with --move-procs: the cgroup that receives its processes. */
  moveProcsTo?: string;
  /** Delete only: what it held, so a rollback can re-create it. */
  restore?: { subtreeControl: string[]; files: Record<string, string> };
  /** Create only: the directory exists half-made (scratch tree); these files are missing. */
  repair?: string[];
}

export interface CgroupFileAction extends ActionBase {
  type: "cgroup-file";
  op: "create" | "update";
  path: string;
  file: string;
  before: string | null;
  after: string;
  /** The cgroup is created by this plan: nothing to restore, part of its create. */
  initial?: boolean;
}

export interface SubtreeAction extends ActionBase {
  type: "subtree-control";
  op: "update";
  path: string;
  before: string[];
  after: string[];
  initial?: boolean;
}

export interface NftAction extends ActionBase {
  type: "nft";
  before: { digest: string | null } | null;
  after: { digest: string; ruleset: string } | null;
}

export interface TcQdiscAction extends ActionBase {
  type: "tc-qdisc";
  dev: string;
  before: TcQdiscState | null;
  after: { handle: string; defaultClassid: string } | null;
  /** Delete only: number of classes that go with it. */
  classes?: number;
  /** Delete only: the classes it held (parents first), so a rollback can rebuild them. */
  restoreClasses?: Record<string, TcClassState>;
}

export interface TcClassAction extends ActionBase {
  type: "tc-class";
  dev: string;
  classid: string;
  before: TcClassState | null;
  after: TcClassState | null;
  /** Part of a qdisc created by this plan. */
  initial?: boolean;
}

/** The ingress qdisc of a declared link with vsc's redirect to its IFB device (`tc eth0 ingress`). */
export interface TcIngressAction extends ActionBase {
  type: "tc-ingress";
  /** The link. */
  dev: string;
  before: IngressState | null;
  after: IngressState | null;
}

/** One context's u32 filter on an IFB device (`tc vsc-in-eth0 filter 401`). */
export interface TcFilterAction extends ActionBase {
  type: "tc-filter";
  /** The IFB device. */
  dev: string;
  /** u32 prio: the context's id. */
  prio: number;
  before: TcFilterState | null;
  after: TcFilterState | null;
  /** Part of a qdisc created by this plan. */
  initial?: boolean;
}

/** The IFB device vsc makes for a link's ingress (`ifb vsc-in-eth0`): create, set up (update), delete. */
export interface IfbAction extends ActionBase {
  type: "ifb";
  /** The IFB device, ifbName(link). */
  dev: string;
  /** The declared link it shapes the ingress of. */
  link: string;
}

/** Actions that run in a `tc -batch` of their device. */
export type TcAction = TcQdiscAction | TcClassAction | TcIngressAction | TcFilterAction;

export type Action =
  | CgroupAction
  | CgroupFileAction
  | SubtreeAction
  | NftAction
  | TcQdiscAction
  | TcClassAction
  | TcIngressAction
  | TcFilterAction
  | IfbAction;

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
}

/** A plan: actions in execution order, plus what it was made against. */
export interface Plan {
  format: "vsc-plan";
  version: 1;
  /** "apply" or "destroy" (only changes the wording shown to people). */
  kind: "apply" | "destroy";
  host: string;
  scope: Scope;
  /** sha256 of the observed state the plan was made against (see fingerprint.ts). */
  fingerprint: string;
  actions: Action[];
  summary: PlanSummary;
}
