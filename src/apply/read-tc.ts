/**
 * Reads one link's root qdisc and HTB classes from `tc -d` text output
 * (iproute2 6.1 prints HTB classes as text even with -j). Parsing is pure
 * and separate so it can be tested on captured output.
 */
import type {
  ObservedDevice,
  ObservedIngress,
  ObservedLink,
  TcClassState,
  TcFilterState,
  TcQdiscState,
} from "../plan/types.js";
import { ifbName } from "../model/ingress.js";
import { KernelError } from "./kernel.js";
import { parseTcRate } from "../plan/values.js";
import type { Kernel, RunResult } from "./kernel.js";

export function readLink(kernel: Kernel, dev: string): ObservedLink {
  return linkOf(dev, showLink(kernel, dev));
}

/**
 * The one tc process that reads a link: its qdiscs (the root and, for
 * ingress, the ingress qdisc), classes, and the filters of its ingress
 * qdisc (none printed when it has none), with details.
 */
export function showLink(kernel: Kernel, dev: string): RunResult {
  return kernel.run("tc", ["-d", "-batch", "-"], showLines(dev));
}

/** The show lines of a device: an IFB device's filters are under its root (1:), a link's under ffff:. */
export const showLines = (dev: string): string =>
  `qdisc show dev ${dev}\nclass show dev ${dev}\nfilter show dev ${dev}${dev.startsWith("vsc-in-") ? "" : " ingress"}\n`;

/**
 * The IFB devices of `links` (vsc-in-<link>): one `ip` process says which
 * exist and what they are, then one tc process reads each that is an IFB
 * device. A device that does not exist is `exists: false`.
 */
export function readIfbs(kernel: Kernel, links: string[]): ObservedLink[] {
  if (links.length === 0) return [];
  const devs = links.map(ifbName);
  const r = kernel.run(
    "ip",
    ["-j", "-d", "-force", "-batch", "-"],
    devs.map((d) => `link show dev ${d}\n`).join(""),
  );
  if (r.missing) throw new KernelError("ip link show", r.stderr.trim() || "ip is not installed");
  const found = parseIpLinks(r.stdout);
  return devs.map((dev) => {
    const device = found.get(dev);
    if (!device) return { dev, exists: false, classes: {} };
    if (device.kind !== "ifb") return { dev, exists: true, classes: {}, device };
    const t = showLink(kernel, dev);
    if (t.status !== 0) throw new KernelError(`tc show dev ${dev}`, t.stderr.trim());
    return { ...parseTcShow(dev, t.stdout), device };
  });
}

/** `ip -j -d link show` outputs (one JSON array per command) -> device by name. */
export function parseIpLinks(text: string): Map<string, ObservedDevice> {
  const out = new Map<string, ObservedDevice>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("[")) continue;
    let arr: unknown;
    try {
      arr = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(arr)) continue;
    for (const d of arr as Array<Record<string, unknown>>) {
      if (typeof d?.ifname !== "string") continue;
      const info = d.linkinfo as { info_kind?: unknown } | undefined;
      const flags = Array.isArray(d.flags) ? (d.flags as unknown[]) : [];
      out.set(d.ifname, {
        kind: typeof info?.info_kind === "string" ? info.info_kind : "",
        ...(typeof d.ifalias === "string" ? { alias: d.ifalias } : {}),
        up: flags.includes("UP"),
      });
    }
  }
  return out;
}

/** A link as `showLink` saw it (a failed show: the link does not exist). */
export function linkOf(dev: string, r: RunResult): ObservedLink {
  return r.status === 0 ? parseTcShow(dev, r.stdout) : { dev, exists: false, classes: {} };
}

/** One filter node as tc prints it: its header words, then `match` keys and action lines. */
interface FilterNode {
  parent: string;
  protocol: string;
  pref: number;
  kind: string;
  /** fh: "800::1" for a node, "800:" for a hash table, undefined for the prio's header line. */
  fh?: string;
  flowid?: string;
  keys: string[];
  actions: string[];
}

export function parseTcShow(dev: string, text: string): ObservedLink {
  let root: TcQdiscState | undefined;
  let ingressKind: string | undefined;
  const leaves = new Map<string, string>();
  const classes: Record<string, TcClassState> = {};
  const nodes: FilterNode[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim().split(/\s+/);
    if (t[0] === "filter" && t[1] === "parent") {
      const get = (k: string) => {
        const i = t.indexOf(k);
        return i > 0 ? t[i + 1] : undefined;
      };
      const fl = t.indexOf("flowid") > 0 ? get("flowid") : get("*flowid");
      const pi = t.indexOf("pref");
      nodes.push({
        parent: t[2] ?? "",
        protocol: get("protocol") ?? "",
        pref: Number(get("pref")),
        kind: pi > 0 ? (t[pi + 2] ?? "") : "",
        ...(get("fh") !== undefined ? { fh: get("fh")! } : {}),
        ...(fl !== undefined ? { flowid: fl } : {}),
        keys: [],
        actions: [],
      });
      continue;
    }
    const last = nodes[nodes.length - 1];
    if (last && t[0] === "match" && t[2] === "at" && t.length === 4) {
      last.keys.push(`${t[1]}@${t[3]}`);
      continue;
    }
    if (last && t[0] === "action" && t[1] === "order") {
      last.actions.push(t.slice(3).join(" "));
      continue;
    }
    if (t[0] === "qdisc" && t.length >= 4) {
      const [, kind, handle] = t as [string, string, string];
      const at = t.indexOf("parent");
      if ((kind === "ingress" || kind === "clsact") && handle === "ffff:") {
        ingressKind = kind;
        continue;
      }
      if (t[3] === "root") {
        root = { kind, handle };
        const d = t.indexOf("default");
        if (kind === "htb" && d > 0 && t[d + 1]) {
          const minor = parseInt(t[d + 1]!, 16);
          root.defaultClassid = `${handle.replace(/:.*$/, "")}:${minor.toString(16)}`;
        }
      } else if (at > 0 && t[at + 1]) leaves.set(t[at + 1]!, kind);
    } else if (t[0] === "class" && t[1] === "htb" && t[2]) {
      const get = (k: string) => {
        const i = t.indexOf(k);
        return i > 0 ? t[i + 1] : undefined;
      };
      const parent =
        t[3] === "root" ? (root?.handle ?? `${t[2].replace(/:.*$/, "")}:`) : get("parent");
      const rate = parseTcRate(get("rate") ?? "");
      const ceil = parseTcRate(get("ceil") ?? "");
      if (!parent || rate === undefined || ceil === undefined) continue;
      const q = get("quantum");
      const p = get("prio");
      classes[t[2]] = {
        parent,
        rate,
        ceil,
        ...(q !== undefined ? { quantum: Number(q) } : {}),
        // Only a prio other than tc's 0 is kept (v1 classes read back as before).
        ...(p !== undefined && /^[1-7]$/.test(p) ? { prio: Number(p) } : {}),
      };
    }
  }
  for (const [id, c] of Object.entries(classes)) {
    const k = leaves.get(id);
    if (k) c.leafQdisc = k;
  }
  const htb = root?.kind === "htb";
  const out: ObservedLink = {
    dev,
    exists: true,
    ...(root ? { qdisc: root } : {}),
    classes: htb ? classes : {},
  };
  if (ingressKind)
    out.ingress = ingressOf(
      ingressKind,
      nodes.filter((n) => n.parent === "ffff:"),
    );
  if (dev.startsWith("vsc-in-"))
    Object.assign(out, ifbFilters(nodes.filter((n) => n.parent !== "ffff:")));
  return out;
}

const describe = (n: FilterNode) =>
  `prio ${n.pref} protocol ${n.protocol} ${n.kind}${n.fh ? ` ${n.fh}` : ""}${n.actions.length ? ` (${n.actions.join("; ")})` : ""}`;
/** A node, not the prio's header line or a hash table. */
const isNode = (n: FilterNode) => n.fh !== undefined && !n.fh.endsWith(":");
const KEY = /^[0-9a-f]{8}\/[0-9a-f]{8}@\d{1,2}$/;

/** The ingress qdisc: vsc's when its one filter is vsc's redirect (prio 1, match-all u32, mirred). */
function ingressOf(kind: string, filters: FilterNode[]): ObservedIngress {
  const out: ObservedIngress = { kind };
  const foreign: string[] = [];
  for (const n of filters) {
    if (n.kind === "u32" && !isNode(n)) continue; // headers and hash tables of a u32 prio
    const m = /^mirred \(Egress Redirect to device (\S+)\) stolen$/.exec(n.actions[0] ?? "");
    if (
      kind === "ingress" &&
      out.redirect === undefined &&
      n.kind === "u32" &&
      n.pref === 1 &&
      n.protocol === "all" &&
      n.keys.length === 1 &&
      n.keys[0] === "00000000/00000000@0" &&
      n.actions.length === 1 &&
      m
    )
      out.redirect = m[1]!;
    else foreign.push(describe(n));
  }
  if (kind !== "ingress") foreign.unshift(`a ${kind} qdisc`);
  if (foreign.length > 0) {
    out.foreign = foreign;
    delete out.redirect;
  }
  return out;
}

/** An IFB device's filters: vsc's form is one u32 prio per context, `protocol all`, nodes with a flowid. */
function ifbFilters(filters: FilterNode[]): Pick<ObservedLink, "filters" | "foreignFilters"> {
  const by: Record<string, TcFilterState> = {};
  const foreign: string[] = [];
  for (const n of filters) {
    if (n.kind === "u32" && !isNode(n)) continue;
    const ok =
      n.kind === "u32" &&
      n.parent === "1:" &&
      n.protocol === "all" &&
      n.actions.length === 0 &&
      n.flowid !== undefined &&
      /^[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(n.flowid) &&
      n.keys.length > 0 &&
      n.keys.every((k) => KEY.test(k));
    const key = String(n.pref);
    const f = by[key];
    if (!ok || (f && f.flowid !== n.flowid)) {
      foreign.push(describe(n));
      continue;
    }
    const node = [...n.keys].sort((a, b) => offset(a) - offset(b)).join(" ");
    if (f) f.nodes.push(node);
    else by[key] = { flowid: n.flowid!, nodes: [node] };
  }
  for (const f of Object.values(by)) f.nodes.sort();
  return { filters: by, ...(foreign.length > 0 ? { foreignFilters: foreign } : {}) };
}

const offset = (k: string) => Number(k.slice(k.indexOf("@") + 1));
