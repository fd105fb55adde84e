/**
 * Before planning: is this host able to run vsc at all? Every missing piece
 * is reported at once, each with what to do, and nothing is changed.
 * vsc owns only its subtree, so a controller that is not enabled above it
 * is the operator's to enable (one line, given in the help), never vsc's.
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import type { DesiredState } from "../model/desired.js";
import { parentPath } from "../plan/values.js";
import { mountKind } from "./host-kernel.js";
import { notCgroup2Help } from "./mount-advice.js";
import type { Kernel, RunResult } from "./kernel.js";
import { words } from "./observe.js";
import { linkOf, showLink } from "./read-tc.js";
import type { ObservedLink } from "../plan/types.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface PreflightNeeds {
  cgroupRoot: string;
  /** Controllers the owned root must have available (what its subtree enables or writes). */
  controllers: string[];
  links: string[];
  /** Probe nft for `socket cgroupv2` (only when the rules name cgroups). */
  socketCgroup: boolean;
}

/** Controller of an interface file: "memory.swap.max" -> "memory". */
const controllerOf = (file: string) => file.slice(0, file.indexOf("."));

export function needsOf(d: DesiredState): PreflightNeeds {
  const set = new Set<string>();
  for (const c of d.cgroups) {
    for (const s of c.subtreeControl) set.add(s);
    for (const f of c.files) set.add(controllerOf(f.name));
  }
  return {
    cgroupRoot: d.cgroupRoot,
    controllers: [...set].sort(),
    links: d.links.map((l) => l.dev).sort(),
    socketCgroup: d.nft.cgroupPaths.length > 0,
  };
}

/**
 * `links`, when given, receives each link as the check read it (root qdisc
 * and classes), so that observing right after needs no second tc process.
 */
export function preflight(
  kernel: Kernel,
  needs: PreflightNeeds,
  links?: Map<string, ObservedLink>,
): Diagnostic[] {
  const ds: Diagnostic[] = [];
  const mount = kernel.cgroupMount;
  const err = (code: string, message: string, help: string, notes?: string[]): void => {
    ds.push({
      code,
      severity: "error",
      message,
      help,
      ...(notes ? { notes } : {}),
    });
  };

  const kind = mountKind(mount);
  if (kind === "other") {
    const v1 = v1Hierarchies();
    const unified = existsSync(join(mount, "unified", "cgroup.controllers"));
    err(
      "VSC5001",
      `no cgroup2 filesystem is mounted at ${mount}`,
      unified
        ? `this host runs cgroup v1 (with a hybrid cgroup2 at ${join(mount, "unified")}, whose controllers are held by v1); boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all), or pass --cgroup-mount with a cgroup2 mount`
        : notCgroup2Help(mount),
      v1.length > 0 ? [`cgroup v1 hierarchies mounted: ${v1.join(", ")}`] : undefined,
    );
  } else {
    const available = words(kernel.read("cgroup.controllers"));
    const missing = needs.controllers.filter((c) => !available.includes(c));
    if (missing.length > 0) {
      const v1 = v1Hierarchies().filter((h) => missing.some((m) => h.split(",").includes(m)));
      err(
        "VSC5002",
        `controller${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not available in the cgroup2 mount ${mount}`,
        v1.length > 0
          ? "a controller bound to a cgroup v1 hierarchy is not available to cgroup2: boot with cgroup_no_v1=all (or unmount those v1 hierarchies)"
          : "this kernel does not offer it to cgroup2; remove the settings that need it, or use a kernel built with it",
        [
          `available: ${available.join(" ") || "(none)"}`,
          ...(v1.length > 0 ? [`held by cgroup v1: ${v1.join(", ")}`] : []),
        ],
      );
    }
    // Ancestors above the owned root: each must enable the controllers in its subtree_control.
    const chain: string[] = [];
    for (let p = parentPath(needs.cgroupRoot); ; p = parentPath(p)) {
      chain.unshift(p);
      if (p === "") break;
    }
    const usable = needs.controllers.filter((c) => available.includes(c));
    for (const p of chain) {
      if (p !== "" && kernel.list(p) === undefined) break; // created by vsc? no: above the root, say so below
      const on = words(kernel.read(`${p === "" ? "" : `${p}/`}cgroup.subtree_control`));
      const off = usable.filter((c) => !on.includes(c));
      if (off.length > 0) {
        const file = join(mount, p, "cgroup.subtree_control");
        err(
          "VSC5003",
          `controller${off.length > 1 ? "s" : ""} ${off.join(", ")} not enabled in ${file}, above vsc's subtree ${needs.cgroupRoot}`,
          `vsc changes nothing outside its subtree; enable ${off.length > 1 ? "them" : "it"} once as root: echo "${off.map((c) => `+${c}`).join(" ")}" > ${file}`,
        );
        break;
      }
    }
    const above = parentPath(needs.cgroupRoot);
    if (above !== "" && kernel.list(above) === undefined) {
      err(
        "VSC5008",
        `the cgroup ${above} that holds vsc's subtree does not exist under ${mount}`,
        `create it (mkdir ${join(mount, above)}) or choose another cgroup-root`,
      );
    }
  }

  if (kernel.netns && !existsSync(`/run/netns/${kernel.netns}`)) {
    err(
      "VSC5007",
      `network namespace ${kernel.netns} does not exist`,
      `create it with \`ip netns add ${kernel.netns}\`, or drop --netns`,
    );
    return ds;
  }
  // One process per tool when all is well (each costs milliseconds on a host
  // and a quarter of a second under emulation): the check that needs the tool
  // also shows that it runs. Only a failure asks `--version` which it was.
  const broken = (tool: "nft" | "tc", why?: string): void =>
    err(
      "VSC5004",
      `${tool} is not installed or does not run`,
      tool === "nft"
        ? "install nftables (apt-get install nftables)"
        : "install iproute2 (apt-get install iproute2)",
      why ? [why] : undefined,
    );
  /** Did `r` show that the tool runs? (A failed check asks `--version` which it was.) */
  const runs = (tool: "nft" | "tc", r: RunResult): boolean => {
    if (r.status === 0) return true;
    const v = r.missing ? r : kernel.run(tool, [tool === "nft" ? "--version" : "-V"]);
    if (!v.missing && v.status === 0) return true; // the tool runs: the check itself failed
    broken(tool, (v.stderr || r.stderr).trim() || undefined);
    return false;
  };

  const probe =
    'table inet vsc-preflight {\n  chain probe {\n    socket cgroupv2 level 1 "/" accept\n  }\n}\n';
  const nft = needs.socketCgroup
    ? kernel.run("nft", ["-c", "-f", "-"], probe)
    : kernel.run("nft", ["--version"]);
  // Each link is read whole (what observing needs), one tc process per link.
  const shows = needs.links.map((dev) => [dev, showLink(kernel, dev)] as const);
  const nftRuns = runs("nft", nft);
  if (runs("tc", shows[0]?.[1] ?? kernel.run("tc", ["-V"]))) {
    for (const [dev, r] of shows) {
      if (r.status !== 0 && r.stderr.includes(`"${dev}"`)) {
        err(
          "VSC5005",
          `link ${dev} does not exist${kernel.netns ? ` in network namespace ${kernel.netns}` : ""}`,
          "create it, or remove it from the host's `link` lines",
        );
      } else if (r.status === 0) links?.set(dev, linkOf(dev, r));
    }
  }
  if (nftRuns && needs.socketCgroup && nft.status !== 0) {
    err(
      "VSC5006",
      "nftables here cannot match `socket cgroupv2`",
      "use nftables >= 0.9.5 and a kernel with nft_socket (CONFIG_NFT_SOCKET and cgroup2 socket matching, Linux >= 5.13)",
      [nft.stderr.trim()],
    );
  }
  return ds;
}

/** v1 hierarchies from /proc/self/mounts, e.g. ["cpu", "memory", "pids"]. */
function v1Hierarchies(): string[] {
  try {
    return readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f[2] === "cgroup")
      .map((f) =>
        (f[3] ?? "")
          .split(",")
          .filter((o) => !["rw", "ro", "relatime", "nosuid", "nodev", "noexec"].includes(o))
          .join(","),
      )
      .filter((o) => o !== "");
  } catch {
    return [];
  }
}
