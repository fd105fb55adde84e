/**
 * A plan as a person reads it, Terraform style: one group per thing being
 * changed (a cgroup, a link, the nft table), `+` create, `~` update,
 * `-` delete, and a summary line. Pure: returns text.
 */
import pc from "picocolors";
import type { Action, Plan, TcClassState, TcFilterState } from "./types.js";
import { tcRateString } from "./values.js";

export interface RenderOptions {
  color: boolean;
}

export function renderPlan(plan: Plan, opts: RenderOptions): string {
  const c = pc.createColors(opts.color);
  const sign = (op: Action["op"]) =>
    op === "create" ? c.green("+") : op === "update" ? c.yellow("~") : c.red("-");
  if (plan.actions.length === 0) {
    return plan.kind === "destroy"
      ? "No changes. vsc owns nothing on this host.\n"
      : "No changes. The kernel already matches the configuration.\n";
  }
  const groups = new Map<string, string[]>();
  const add = (key: string, line: string) => {
    const g = groups.get(key);
    if (g) g.push(line);
    else groups.set(key, [line]);
  };
  for (const a of plan.actions) {
    const why = a.reason ? c.dim(`  # ${a.reason}`) : "";
    switch (a.type) {
      case "cgroup": {
        const procs =
          a.op === "delete" && a.procs
            ? c.dim(`  # ${a.procs} process(es) moved to ${a.moveProcsTo || "/"}`)
            : "";
        add(`cgroup ${a.path}`, `  ${sign(a.op)} cgroup ${a.path}${procs}${why}`);
        break;
      }
      case "subtree-control":
        add(
          `cgroup ${a.path}`,
          `  ${a.initial ? "    " + sign("create") : sign(a.op)} cgroup.subtree_control: ` +
            `${a.initial ? "" : `${q(a.before.join(" "))} -> `}${q(a.after.join(" "))}`,
        );
        break;
      case "cgroup-file":
        add(
          `cgroup ${a.path}`,
          a.initial
            ? `      ${sign("create")} ${a.file} = ${q(a.after)}`
            : `  ${sign(a.op)} ${a.file}: ${q(a.before)} -> ${q(a.after)}`,
        );
        break;
      case "nft": {
        const b = a.before ? short(a.before.digest) : "";
        const line =
          a.op === "delete"
            ? `  ${sign(a.op)} table inet vsc (digest ${b})`
            : a.op === "create"
              ? `  ${sign(a.op)} table inet vsc (digest ${short(a.after!.digest)})`
              : `  ${sign(a.op)} table inet vsc: digest ${b} -> ${short(a.after!.digest)}`;
        add("nft table inet vsc", line + why);
        break;
      }
      case "tc-qdisc": {
        const b = a.before ? `${a.before.kind} ${a.before.handle}` : "";
        const after = a.after ? `htb ${a.after.handle} default ${a.after.defaultClassid}` : "";
        const line =
          a.op === "create"
            ? `  ${sign(a.op)} qdisc ${after}`
            : a.op === "delete"
              ? `  ${sign(a.op)} qdisc ${b} (and its ${a.classes ?? 0} classes)`
              : `  ${sign(a.op)} qdisc ${b} -> ${after}`;
        add(`tc ${a.dev}`, line + why);
        break;
      }
      case "tc-class": {
        const line = a.initial
          ? `      ${sign("create")} class ${a.classid} ${cls(a.after!)}`
          : a.op === "create"
            ? `  ${sign(a.op)} class ${a.classid} ${cls(a.after!)}`
            : a.op === "delete"
              ? `  ${sign(a.op)} class ${a.classid} ${cls(a.before!)}`
              : `  ${sign(a.op)} class ${a.classid} ${clsDiff(a.before!, a.after!)}`;
        add(`tc ${a.dev}`, line);
        break;
      }
      case "tc-ingress": {
        const to = (r?: string) => (r ? `redirect to ${r}` : "no filter");
        const line =
          a.op === "create"
            ? `  ${sign(a.op)} ingress qdisc ffff:, ${to(a.after!.redirect)}`
            : a.op === "delete"
              ? `  ${sign(a.op)} ingress qdisc ffff: (${to(a.before!.redirect)})`
              : `  ${sign(a.op)} ingress qdisc ffff: ${to(a.before!.redirect)} -> ${to(a.after!.redirect)}`;
        add(`tc ${a.dev}`, line + why);
        break;
      }
      case "tc-filter": {
        const f = (a.after ?? a.before)!;
        const line = `${a.initial ? "      " + sign("create") : `  ${sign(a.op)}`} filter prio ${a.prio} -> ${f.flowid}: ${filterText(f)}${
          a.op === "update" ? c.dim(`  # was -> ${a.before!.flowid}: ${filterText(a.before!)}`) : ""
        }`;
        add(`tc ${a.dev}`, line);
        break;
      }
      case "ifb": {
        const what =
          a.op === "create"
            ? `ifb device ${a.dev} for the ingress of ${a.link}`
            : a.op === "update"
              ? `ifb device ${a.dev}: down -> up`
              : `ifb device ${a.dev} (the ingress of ${a.link})`;
        add(`tc ${a.dev}`, `  ${sign(a.op)} ${what}${why}`);
        break;
      }
    }
  }
  const title =
    plan.kind === "destroy"
      ? "vsc will destroy everything it owns on this host:"
      : "vsc will perform the following actions:";
  let out = `${title}\n`;
  for (const [key, lines] of groups) out += `\n  ${c.bold(`# ${key}`)}\n${lines.join("\n")}\n`;
  const s = plan.summary;
  out += `\n${c.bold("Plan:")} ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.\n`;
  return out;
}

const q = (v: string | null) => (v === null ? "(absent)" : JSON.stringify(v));
const short = (d: string | null) => (d ? d.slice(0, 12) : "(none)");

function cls(s: TcClassState): string {
  const parts = [
    `parent ${s.parent}`,
    `rate ${tcRateString(s.rate)}`,
    `ceil ${tcRateString(s.ceil)}`,
  ];
  if (s.quantum !== undefined) parts.push(`quantum ${s.quantum}`);
  if (s.prio !== undefined) parts.push(`prio ${s.prio}`);
  if (s.leafQdisc) parts.push(`qdisc ${s.leafQdisc}`);
  return parts.join(" ");
}

function clsDiff(b: TcClassState, a: TcClassState): string {
  const parts: string[] = [];
  if (tcRateString(b.rate) !== tcRateString(a.rate))
    parts.push(`rate ${tcRateString(b.rate)} -> ${tcRateString(a.rate)}`);
  if (tcRateString(b.ceil) !== tcRateString(a.ceil))
    parts.push(`ceil ${tcRateString(b.ceil)} -> ${tcRateString(a.ceil)}`);
  if (b.quantum !== undefined && a.quantum !== undefined && b.quantum !== a.quantum)
    parts.push(`quantum ${b.quantum} -> ${a.quantum}`);
  if (a.prio !== undefined && (b.prio ?? 0) !== a.prio)
    parts.push(`prio ${b.prio ?? 0} -> ${a.prio}`);
  if ((b.leafQdisc ?? "") !== (a.leafQdisc ?? ""))
    parts.push(`qdisc ${b.leafQdisc ?? "(none)"} -> ${a.leafQdisc ?? "(none)"}`);
  return parts.join(", ");
}

/** A context's u32 filter as addresses: "ip dst 10.0.0.41/32, ip6 dst fd00::/64". */
export function filterText(f: TcFilterState): string {
  return f.nodes.map(nodeText).join(", ");
}

/** One node ("40000000/f0000000@0 0ae90001/ffffffff@16") as the destination it matches. */
function nodeText(node: string): string {
  const keys = node.split(" ").map((k) => {
    const [vm, at] = k.split("@") as [string, string];
    const [v, m] = vm.split("/") as [string, string];
    return { v: parseInt(v, 16) >>> 0, m: parseInt(m, 16) >>> 0, at: Number(at) };
  });
  const ver = keys.find((k) => k.at === 0 && k.m === 0xf0000000)?.v;
  const bits = popcount;
  if (ver === 0x40000000) {
    const k = keys.find((x) => x.at === 16);
    const v = k?.v ?? 0;
    return `ip dst ${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".")}/${k ? bits(k.m) : 0}`;
  }
  if (ver === 0x60000000) {
    const groups: string[] = [];
    let prefix = 0;
    for (let i = 0; i < 4; i++) {
      const k = keys.find((x) => x.at === 24 + 4 * i);
      const v = k?.v ?? 0;
      prefix += k ? bits(k.m) : 0;
      groups.push(((v >>> 16) & 0xffff).toString(16), (v & 0xffff).toString(16));
    }
    return `ip6 dst ${groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}/${prefix}`;
  }
  return node;
}

function popcount(m: number): number {
  let n = 0;
  for (let x = m >>> 0; x; x = (x & (x - 1)) >>> 0) n++;
  return n;
}
