/**
 * Reads one link's root qdisc and HTB classes from `tc -d` text output
 * (iproute2 6.1 prints HTB classes as text even with -j). Parsing is pure
 * and separate so it can be tested on captured output.
 */
import type { ObservedLink, TcClassState, TcQdiscState } from "../plan/types.js";
import { parseTcRate } from "../plan/values.js";
import type { Kernel, RunResult } from "./kernel.js";

export function readLink(kernel: Kernel, dev: string): ObservedLink {
  return linkOf(dev, showLink(kernel, dev));
}

/** The one tc process that reads a link: its root qdisc and classes, with details. */
export function showLink(kernel: Kernel, dev: string): RunResult {
  return kernel.run("tc", ["-d", "-batch", "-"], `qdisc show dev ${dev}\nclass show dev ${dev}\n`);
}

/** A link as `showLink` saw it (a failed show: the link does not exist). */
export function linkOf(dev: string, r: RunResult): ObservedLink {
  return r.status === 0 ? parseTcShow(dev, r.stdout) : { dev, exists: false, classes: {} };
}

export function parseTcShow(dev: string, text: string): ObservedLink {
  let root: TcQdiscState | undefined;
  const leaves = new Map<string, string>();
  const classes: Record<string, TcClassState> = {};
  for (const line of text.split("\n")) {
    const t = line.trim().split(/\s+/);
    if (t[0] === "qdisc" && t.length >= 4) {
      const [, kind, handle] = t as [string, string, string];
      const at = t.indexOf("parent");
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
  return {
    dev,
    exists: true,
    ...(root ? { qdisc: root } : {}),
    classes: htb ? classes : {},
  };
}
