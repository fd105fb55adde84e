/**
 * One scenario of class network policy (language-v2.md §1) proven with real
 * packets, shared by the host's network-namespace test
 * (class-policy-netns.test.ts) and the kernel lab's (test/kernel/class-net.test.ts):
 * the configuration, two namespaces joined by a veth pair, a listener and a
 * client as small Node scripts, and what each try must give.
 *
 * Namespace A holds the contexts' addresses and the ruleset; B is the far
 * end, with one address inside the class's allowed prefix (10.244.0.2) and
 * one outside it (192.168.77.2). IPv6 is off and neighbours are static, so
 * the only packets on the link are the ones the test sends.
 */
import { spawnSync } from "node:child_process";

export const FAR_IN = "10.244.0.2"; // inside tenant's `allow out to 10.244.0.0/16`
export const FAR_OUT = "192.168.77.2"; // outside it
export const ADDR = { api: "10.244.1.10", worker: "10.244.1.11", free: "10.244.1.12" } as const;
export type Ctx = keyof typeof ADDR;
/** The ports every context listens on, and the one the far end listens on. */
export const PORTS = [22, 443, 7000, 8080] as const;
export const FAR_PORT = 9000;

/**
 * tenant: default deny, ssh in, anything out to 10.244.0.0/16 (the spec's example).
 * inner: a class below tenant whose rule comes from a template (8080 in).
 * api: its own 443; worker (in inner): a template's 7000, nothing of its own;
 * free: its own `default allow` overrides the class's deny.
 */
export function scenarioConfig(root: string): string {
  return `# written by test/emit/class-policy-scenario.ts
host lab {
  cpus 2
  memory 1GiB
  cgroup-root "${root}"
}

template probe {
  net { allow in tcp port 7000 }
}

template web {
  net { allow in tcp port 8080 }
}

class tenant {
  net {
    default deny
    allow in tcp port 22
    allow out to 10.244.0.0/16
  }
}

class inner in tenant {
  use web
}

context api in tenant {
  id 301
  net {
    address ${ADDR.api}
    allow in tcp port 443
  }
}

context worker in inner {
  use probe
  id 302
  net { address ${ADDR.worker} }
}

context free in tenant {
  id 303
  net {
    address ${ADDR.free}
    default allow
  }
}
`;
}

/** Cgroup paths of the contexts, below the cgroup root. */
export const CONTEXT_PATHS: Record<Ctx, string> = {
  api: "tenant/api",
  worker: "tenant/inner/worker",
  free: "tenant/free",
};

export interface Try {
  /** "far" (a process in B, in no context) or the context the client runs in. */
  from: "far" | Ctx;
  /** "tcp,HOST,PORT,LOCAL" or "ping,HOST,LOCAL" (see CLIENT). */
  spec: string;
  ok: boolean;
  why: string;
}

const tcp = (host: string, port: number, local = "") => `tcp,${host},${port},${local}`;
const ping = (host: string, local = "") => `ping,${host},${local}`;

/** Every try and its expected outcome: each line is one clause of §1. */
export const TRIES: Try[] = [
  // Inbound, from the far end.
  { from: "far", spec: tcp(ADDR.api, 22), ok: true, why: "api: tenant's allow in tcp 22" },
  { from: "far", spec: tcp(ADDR.api, 443), ok: true, why: "api: its own allow in tcp 443" },
  { from: "far", spec: tcp(ADDR.api, 7000), ok: false, why: "api: 7000 is worker's template's" },
  { from: "far", spec: tcp(ADDR.api, 8080), ok: false, why: "api: 8080 is class inner's" },
  { from: "far", spec: ping(ADDR.api), ok: false, why: "api: no icmp allowed in" },
  { from: "far", spec: tcp(ADDR.worker, 22), ok: true, why: "worker: tenant's 22, two up" },
  { from: "far", spec: tcp(ADDR.worker, 8080), ok: true, why: "worker: inner's (template) 8080" },
  { from: "far", spec: tcp(ADDR.worker, 7000), ok: true, why: "worker: its template's 7000" },
  { from: "far", spec: tcp(ADDR.worker, 443), ok: false, why: "worker: 443 is api's own" },
  { from: "far", spec: tcp(ADDR.free, 8080), ok: true, why: "free: its own default allow" },
  { from: "far", spec: ping(ADDR.free), ok: true, why: "free: its own default allow" },
  // Outbound, from each context (tenant: out to 10.244.0.0/16 only).
  { from: "api", spec: tcp(FAR_IN, FAR_PORT, ADDR.api), ok: true, why: "api -> tenant's prefix" },
  { from: "api", spec: tcp(FAR_OUT, FAR_PORT, ADDR.api), ok: false, why: "api -> outside it" },
  { from: "api", spec: ping(FAR_IN, ADDR.api), ok: true, why: "api: any protocol to the prefix" },
  { from: "api", spec: ping(FAR_OUT, ADDR.api), ok: false, why: "api: ping outside the prefix" },
  { from: "worker", spec: tcp(FAR_IN, FAR_PORT, ADDR.worker), ok: true, why: "worker -> prefix" },
  { from: "worker", spec: tcp(FAR_OUT, FAR_PORT, ADDR.worker), ok: false, why: "worker -> out" },
  { from: "free", spec: tcp(FAR_OUT, FAR_PORT, ADDR.free), ok: true, why: "free: default allow" },
  // Source binding stays per context: api may not send from worker's address.
  {
    from: "api",
    spec: tcp(FAR_IN, FAR_PORT, ADDR.worker),
    ok: false,
    why: "api from worker's address",
  },
];

/**
 * Listens on HOST for each PORT and answers "ok\n" (server first, so the
 * client never lingers); prints "ready" once every port is up. A client that
 * gives up resets its connection: that must not end the listener.
 */
export const LISTENER = `
const net = require("net");
const [host, ...ports] = process.argv.slice(1);
let up = 0;
for (const p of ports)
  net.createServer((s) => { s.on("error", () => {}); s.end("ok\\n"); }).listen(Number(p), host, () => {
    if (++up === ports.length) console.log("ready");
  });`;

/**
 * Runs every try at once and prints {cgroup, results, ms} as JSON: "ok" (the
 * listener answered / ping got its echo reply), an errno code, "timeout" or
 * "ping:N" (ping's exit status).
 */
export const CLIENT = `
const net = require("net"), fs = require("fs"), { execFile } = require("child_process");
const [ms, ...tries] = process.argv.slice(1);
const one = (t) => new Promise((settle) => {
  const t0 = Date.now();
  const done = (r) => settle([r, Date.now() - t0]);
  const [kind, host, a, b] = t.split(",");
  if (kind === "ping") {
    const args = ["-n", "-c", "1", "-W", String(Math.ceil(Number(ms) / 1000)), ...(a ? ["-I", a] : []), host];
    execFile("ping", args, (e) => done(e ? "ping:" + e.code : "ok"));
    return;
  }
  let data = "";
  const s = net.connect({ host, port: Number(a), ...(b ? { localAddress: b } : {}) });
  const timer = setTimeout(() => { s.destroy(); done("timeout"); }, Number(ms));
  s.on("data", (x) => (data += x));
  s.on("error", (e) => { clearTimeout(timer); done(e.code || String(e)); });
  s.on("close", () => { clearTimeout(timer); done(data === "ok\\n" ? "ok" : "closed:" + data); });
});
Promise.all(tries.map(one)).then((out) => {
  const cgroup = fs.readFileSync("/proc/self/cgroup", "utf8").trim().split("\\n").pop();
  console.log(JSON.stringify({ cgroup, results: out.map((x) => x[0]), ms: out.map((x) => x[1]) }));
});`;

export interface ClientOut {
  cgroup: string;
  results: string[];
  /** How long each try took (for the failure message). */
  ms: number[];
}

export function parseClient(stdout: string, stderr: string, who: string): ClientOut {
  const line = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ClientOut;
  } catch {
    throw new Error(`${who}: no result\n${stderr}${stdout}`);
  }
}

/** The tries whose outcome differs from what §1 says, as readable lines. */
export function mismatches(tries: Try[], got: ClientOut): string[] {
  const out: string[] = [];
  tries.forEach((t, i) => {
    const r = got.results[i];
    if ((r === "ok") !== t.ok)
      out.push(
        `${t.from}: ${t.spec} gave ${r} after ${got.ms[i]} ms, expected ${t.ok ? "ok" : "no answer"} (${t.why})`,
      );
  });
  return out;
}

export interface PolicyNet {
  nsA: string;
  nsB: string;
  destroy(): void;
}

/** `cmd args` inside netns `ns` through nsenter (keeps the host's /sys, unlike `ip netns exec`). */
export function inNs(ns: string, cmd: string, args: string[], input?: string) {
  const r = spawnSync("nsenter", [`--net=/run/netns/${ns}`, "--", cmd, ...args], {
    encoding: "utf8",
    input,
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function must(cmd: string, args: string[], ns?: string): string {
  const r = ns
    ? inNs(ns, cmd, args)
    : (() => {
        const x = spawnSync(cmd, args, { encoding: "utf8" });
        return { status: x.status ?? -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
      })();
  if (r.status !== 0)
    throw new Error(`${[cmd, ...args].join(" ")}${ns ? ` (netns ${ns})` : ""}: ${r.stderr}`);
  return r.stdout;
}

/** Namespaces A (the contexts' side) and B (the far end) joined by a veth pair. */
export function policyNet(tag: string): PolicyNet {
  const nsA = `${tag}a`;
  const nsB = `${tag}b`;
  const devA = `${tag}a0`.slice(-15);
  const devB = `${tag}b0`.slice(-15);
  const destroy = () => {
    spawnSync("ip", ["netns", "del", nsA]);
    spawnSync("ip", ["netns", "del", nsB]);
  };
  destroy();
  try {
    must("ip", ["netns", "add", nsA]);
    must("ip", ["netns", "add", nsB]);
    must("ip", ["link", "add", devA, "netns", nsA, "type", "veth", "peer", devB, "netns", nsB]);
    const macs: string[] = [];
    for (const [ns, dev] of [
      [nsA, devA],
      [nsB, devB],
    ] as const) {
      must("sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"], ns);
      must("ip", ["link", "set", "lo", "up"], ns);
      must("ip", ["link", "set", dev, "up"], ns);
      const link = JSON.parse(must("ip", ["-j", "link", "show", dev], ns)) as { address: string }[];
      macs.push(link[0]!.address);
    }
    for (const a of Object.values(ADDR)) {
      must("ip", ["addr", "add", `${a}/16`, "dev", devA], nsA);
      must("ip", ["neigh", "replace", a, "lladdr", macs[0]!, "dev", devB, "nud", "permanent"], nsB);
    }
    must("ip", ["addr", "add", `${FAR_IN}/16`, "dev", devB], nsB);
    must("ip", ["addr", "add", `${FAR_OUT}/24`, "dev", devB], nsB);
    must("ip", ["route", "add", "192.168.77.0/24", "via", FAR_IN], nsA);
    must(
      "ip",
      ["neigh", "replace", FAR_IN, "lladdr", macs[1]!, "dev", devA, "nud", "permanent"],
      nsA,
    );
  } catch (e) {
    destroy();
    throw e;
  }
  return { nsA, nsB, destroy };
}
