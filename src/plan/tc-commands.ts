/**
 * tc actions -> `tc -batch` lines, each paired with the lines that undo it.
 * Pure. Names come from the checked config (link names and numeric class ids
 * only), so nothing here can inject into the batch.
 */
import type {
  IfbAction,
  TcAction,
  TcFilterAction,
  TcFilterState,
  TcIngressAction,
} from "./types.js";
import type { TcClassState } from "./types.js";
import { ifbAlias } from "../model/ingress.js";

export interface TcCommand {
  line: string;
  /** Lines that undo this one, run in order (all undos run in reverse command order). */
  undo: string[];
}

const minorOf = (id: string) => id.replace(/^[^:]*:/, "");
const majorOf = (id: string) => id.replace(/:.*$/, "");

function classLine(verb: "add" | "change", dev: string, id: string, s: TcClassState): string {
  const q = s.quantum !== undefined ? ` quantum ${s.quantum}` : "";
  const p = s.prio !== undefined ? ` prio ${s.prio}` : "";
  return `class ${verb} dev ${dev} parent ${s.parent} classid ${id} htb rate ${Math.round(s.rate)}bit ceil ${Math.round(s.ceil)}bit${p}${q}`;
}

const leafAdd = (dev: string, id: string, kind: string) =>
  `qdisc add dev ${dev} parent ${id} ${kind}`;
const leafDel = (dev: string, id: string) => `qdisc del dev ${dev} parent ${id}`;

function rebuildClass(dev: string, id: string, s: TcClassState): string[] {
  const out = [classLine("add", dev, id, s)];
  if (s.leafQdisc) out.push(leafAdd(dev, id, s.leafQdisc));
  return out;
}

export function tcCommands(a: TcAction): TcCommand[] {
  if (a.type === "tc-ingress") return ingressCommands(a);
  if (a.type === "tc-filter") return filterCommands(a);
  if (a.type === "tc-qdisc") {
    const dev = a.dev;
    if (a.op === "delete") {
      const b = a.before!;
      const classes = Object.entries(a.restoreClasses ?? {});
      const depth = (id: string) => {
        let d = 0;
        for (let c = a.restoreClasses?.[id]; c && d < 64; c = a.restoreClasses?.[c.parent]) d++;
        return d;
      };
      classes.sort((x, y) => depth(x[0]) - depth(y[0]));
      const def = b.defaultClassid ? ` default ${minorOf(b.defaultClassid)}` : "";
      return [
        {
          line: `qdisc del dev ${dev} root`,
          undo: [
            `qdisc add dev ${dev} root handle ${b.handle} htb${def}`,
            ...classes.flatMap(([id, s]) => rebuildClass(dev, id, s)),
          ],
        },
      ];
    }
    const after = a.after!;
    const line = (verb: string, defaultClassid: string) =>
      `qdisc ${verb} dev ${dev} root handle ${after.handle} htb default ${minorOf(defaultClassid)}`;
    const ours = a.before?.kind === "htb" && a.before.handle === after.handle;
    if (ours) {
      const undo = a.before!.defaultClassid ? [line("change", a.before!.defaultClassid)] : [];
      return [{ line: line("change", after.defaultClassid), undo }];
    }
    // Replacing another root qdisc: deleting ours brings the kernel's default back.
    return [
      {
        line: line("replace", after.defaultClassid),
        undo: [`qdisc del dev ${dev} root`],
      },
    ];
  }
  const { dev, classid: id } = a;
  if (a.op === "create") {
    const s = a.after!;
    const out: TcCommand[] = [
      {
        line: classLine("add", dev, id, s),
        undo: [`class del dev ${dev} classid ${id}`],
      },
    ];
    if (s.leafQdisc)
      out.push({
        line: leafAdd(dev, id, s.leafQdisc),
        undo: [leafDel(dev, id)],
      });
    return out;
  }
  if (a.op === "delete") {
    return [
      {
        line: `class del dev ${dev} classid ${id}`,
        undo: rebuildClass(dev, id, a.before!),
      },
    ];
  }
  const b = a.before!;
  const s = a.after!;
  const out: TcCommand[] = [
    {
      line: classLine("change", dev, id, s),
      undo: [classLine("change", dev, id, { ...b, quantum: b.quantum ?? s.quantum })],
    },
  ];
  if ((b.leafQdisc ?? "") !== (s.leafQdisc ?? "")) {
    const restore = b.leafQdisc
      ? [`qdisc replace dev ${dev} parent ${id} ${b.leafQdisc}`]
      : [leafDel(dev, id)];
    out.push(
      s.leafQdisc
        ? {
            line: `qdisc replace dev ${dev} parent ${id} ${s.leafQdisc}`,
            undo: restore,
          }
        : { line: leafDel(dev, id), undo: restore },
    );
  }
  return out;
}

/** The redirect of everything arriving on `dev` to its IFB device (prio 1, the only filter vsc puts there). */
const redirectLine = (dev: string, ifb: string) =>
  `filter add dev ${dev} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev ${ifb}`;

function ingressCommands(a: TcIngressAction): TcCommand[] {
  const dev = a.dev;
  const addQdisc = `qdisc add dev ${dev} handle ffff: ingress`;
  const delQdisc = `qdisc del dev ${dev} ingress`;
  const delFilter = `filter del dev ${dev} parent ffff: protocol all prio 1`;
  if (a.after === null) {
    const b = a.before ?? {};
    return [
      {
        line: delQdisc,
        undo: [addQdisc, ...(b.redirect ? [redirectLine(dev, b.redirect)] : [])],
      },
    ];
  }
  const out: TcCommand[] = [];
  if (a.before === null) out.push({ line: addQdisc, undo: [delQdisc] });
  else if (a.before.redirect)
    out.push({ line: delFilter, undo: [redirectLine(dev, a.before.redirect)] });
  if (a.after.redirect) out.push({ line: redirectLine(dev, a.after.redirect), undo: [delFilter] });
  return out;
}

/** `match u32 0x0ae90001 0xffffffff at 16 ...` of one node ("0ae90001/ffffffff@16 ..."). */
export function nodeMatch(node: string): string {
  return node
    .split(" ")
    .map((k) => {
      const m = /^([0-9a-f]{8})\/([0-9a-f]{8})@(\d{1,2})$/.exec(k);
      if (!m) throw new Error(`not a u32 key: ${JSON.stringify(k)}`);
      return `match u32 0x${m[1]} 0x${m[2]} at ${m[3]}`;
    })
    .join(" ");
}

const filterAdds = (dev: string, prio: number, f: TcFilterState): string[] =>
  f.nodes.map(
    (n) =>
      `filter add dev ${dev} parent 1: protocol all prio ${prio} u32 ${nodeMatch(n)} flowid ${f.flowid}`,
  );

/**
 * A context's filter is one u32 prio: removed whole (`filter del ... prio P`
 * takes every node), added node by node; the first add's undo removes the
 * prio, and with it any node added after.
 */
function filterCommands(a: TcFilterAction): TcCommand[] {
  const del = `filter del dev ${a.dev} parent 1: protocol all prio ${a.prio}`;
  const out: TcCommand[] = [];
  if (a.before) out.push({ line: del, undo: filterAdds(a.dev, a.prio, a.before) });
  if (a.after)
    filterAdds(a.dev, a.prio, a.after).forEach((line, i) =>
      out.push({ line, undo: i === 0 ? [del] : [] }),
    );
  return out;
}

/** `ip -batch` lines of an IFB action, each with its undo (as tcCommands). */
export function ipCommands(a: IfbAction): TcCommand[] {
  const dev = a.dev;
  const make = [
    `link add ${dev} type ifb`,
    `link set dev ${dev} alias ${ifbAlias(a.link)}`,
    `link set dev ${dev} up`,
  ];
  if (a.op === "create")
    return [
      { line: make[0]!, undo: [`link del ${dev}`] },
      { line: make[1]!, undo: [] },
      { line: make[2]!, undo: [] },
    ];
  if (a.op === "update") return [{ line: make[2]!, undo: [`link set dev ${dev} down`] }];
  return [{ line: `link del ${dev}`, undo: make }];
}

const IP_FORMS: RegExp[] = [
  `link add DEV type ifb`,
  `link set dev DEV alias vsc:ingress:[A-Za-z0-9_.@-]{1,15}`,
  `link set dev DEV (?:up|down)`,
  `link del DEV`,
].map((f) => new RegExp(`^${f.replace("DEV", "(?<dev>vsc-in-[A-Za-z0-9_.@-]{1,8})")}$`));

/** Why `line` is not an `ip` line vsc generates for IFB device `dev`; undefined when it is one. */
export function ipLineProblem(line: string, dev: string): string | undefined {
  for (const re of IP_FORMS) {
    const m = re.exec(line);
    if (m)
      return m.groups!.dev === dev
        ? undefined
        : `ip line names device ${m.groups!.dev}, not ${dev}`;
  }
  return `${JSON.stringify(line)} is not an ip command vsc generates`;
}

/** "Command failed -:4" -> 3 lines ran; undefined when tc did not say. */
export function tcLinesDone(stderr: string): number | undefined {
  const m = /Command failed [^:]*:(\d+)/.exec(stderr);
  return m ? Number(m[1]) - 1 : undefined;
}

export { majorOf };

const H = "[0-9a-f]{1,4}:(?:[0-9a-f]{1,4})?";
const LEAF = "(?!ingress\\b|clsact\\b)[a-z_]{1,16}";
/** Every line form tcCommands writes (DEV stands for the link). */
const LINE_FORMS: RegExp[] = [
  `qdisc del dev DEV root`,
  `qdisc add dev DEV root handle ${H} htb(?: default [0-9a-f]{1,4})?`,
  `qdisc (?:change|replace) dev DEV root handle ${H} htb default [0-9a-f]{1,4}`,
  `class (?:add|change) dev DEV parent ${H} classid ${H} htb rate \\d{1,20}bit ceil \\d{1,20}bit(?: prio [0-7])?(?: quantum \\d{1,10})?`,
  `class del dev DEV classid ${H}`,
  `qdisc (?:add|replace) dev DEV parent ${H} ${LEAF}`,
  `qdisc del dev DEV parent ${H}`,
  // Ingress (language-v2.md §3): the link's ingress qdisc and its redirect; a context's u32 filter on the IFB device.
  `qdisc add dev DEV handle ffff: ingress`,
  `qdisc del dev DEV ingress`,
  `filter add dev DEV parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev vsc-in-[A-Za-z0-9_.@-]{1,8}`,
  `filter del dev DEV parent ffff: protocol all prio 1`,
  `filter add dev DEV parent 1: protocol all prio \\d{1,5} u32(?: match u32 0x[0-9a-f]{8} 0x[0-9a-f]{8} at \\d{1,2}){1,5} flowid ${H}`,
  `filter del dev DEV parent 1: protocol all prio \\d{1,5}`,
].map((f) => new RegExp(`^${f.replace("DEV", "(?<dev>[A-Za-z0-9_.@-]{1,15})")}$`));

/**
 * Why `line` is not a tc line vsc generates for `dev` (a saved plan's fields
 * end up in these lines: a newline or a word too many would be another
 * command run as root); undefined when it is one.
 */
export function tcLineProblem(line: string, dev: string): string | undefined {
  for (const re of LINE_FORMS) {
    const m = re.exec(line);
    if (m)
      return m.groups!.dev === dev ? undefined : `tc line names link ${m.groups!.dev}, not ${dev}`;
  }
  return `${JSON.stringify(line)} is not a tc command vsc generates`;
}
