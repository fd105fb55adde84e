/**
 * Peers by name, except, reject and log (language-v2.md §2) with real
 * packets, on this host, as class-policy-netns.test.ts does for §1 (same
 * namespaces, listener and client): the ruleset is loaded into a scratch
 * network namespace and processes join the contexts' cgroups.
 *
 * Proven here: `default reject` refuses at once (ECONNREFUSED within a few
 * milliseconds, inbound and outbound) where `deny` times out; a peer named
 * `context app` is reachable from app and not from the address next to
 * app's; `except 10.244.0.0/30` refuses exactly .0-.3 of 10.244.0.0/16
 * (.3 refused, .4 accepted); `log` counts what it logs (the log rule's own
 * counter: the kernel logs nothing from a network namespace unless
 * net.netfilter.nf_log_all_netns is 1 on the host, which a test must not
 * change).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitTarget } from "../../src/emit/index.js";
import { cgroup2Mount, scratchCgroups } from "../exec/harness.js";
import { checkText, summary } from "../check/helpers.js";
import {
  ADDR,
  CLIENT,
  FAR_IN,
  FAR_OUT,
  FAR_PORT,
  LISTENER,
  inNs,
  parseClient,
  policyNet,
} from "./class-policy-scenario.js";

const APP = ADDR.api; // 10.244.1.10
const DB = ADDR.worker; // 10.244.1.11
const EDGE = ADDR.free; // 10.244.1.12
/** Far-end addresses: either side of the `except` boundary, and the one next to app's. */
const EXCEPT_LAST = "10.244.0.3";
const EXCEPT_NEXT = "10.244.0.4";
const NEXT_TO_APP = "10.244.1.9";
const PORTS = [22, 443, 7000, 8080];

const PATHS = { app: "backend/app", db: "backend/db", edge: "edge" } as const;
type Ctx = keyof typeof PATHS;

function config(root: string): string {
  return `host lab {
  cpus 2
  memory 1GiB
  cgroup-root "${root}"
}

class backend {}
context app in backend { id 311  net { address ${APP} } }
context db in backend {
  id 312
  net {
    address ${DB}
    allow in tcp from context app port 22
    allow out to class backend
    allow in from 10.244.0.0/16 except 10.244.0.0/30 port 7000
    default reject
  }
}
context edge { id 313  net { address ${EDGE}  allow in tcp port 443  default deny log } }
`;
}

/** A refusal this fast is an answer, not a timeout (a dropped SYN is retried after 1 s). */
const REFUSED_MS = 300;
const CONNECT_MS = 1500;

interface Try {
  from: "far" | Ctx;
  host: string;
  port: number;
  local: string;
  want: "ok" | "refused" | "timeout";
  why: string;
}

const TRIES: Try[] = [
  { from: "far", host: DB, port: 8080, local: FAR_IN, want: "refused", why: "reject, inbound" },
  { from: "far", host: EDGE, port: 8080, local: FAR_IN, want: "timeout", why: "deny drops" },
  { from: "far", host: EDGE, port: 443, local: FAR_IN, want: "ok", why: "edge's allow 443" },
  { from: "app", host: DB, port: 22, local: APP, want: "ok", why: "from context app" },
  { from: "far", host: DB, port: 22, local: NEXT_TO_APP, want: "refused", why: "next to app" },
  { from: "far", host: DB, port: 7000, local: FAR_IN, want: "refused", why: ".2 in the except" },
  { from: "far", host: DB, port: 7000, local: EXCEPT_LAST, want: "refused", why: "except's last" },
  { from: "far", host: DB, port: 7000, local: EXCEPT_NEXT, want: "ok", why: "first after except" },
  { from: "far", host: DB, port: 7000, local: FAR_OUT, want: "refused", why: "outside the /16" },
  { from: "db", host: APP, port: 8080, local: DB, want: "ok", why: "to class backend" },
  { from: "db", host: FAR_IN, port: FAR_PORT, local: DB, want: "refused", why: "reject, outbound" },
];

function argv(ns: string, procs: string | undefined, cmd: string[]): [string, string[]] {
  const inside = ["nsenter", `--net=/run/netns/${ns}`, "--", ...cmd];
  if (procs === undefined) return [inside[0]!, inside.slice(1)];
  return ["sh", ["-c", 'echo $$ > "$0" && exec "$@"', procs, ...inside]];
}

const outcome = (r: string): Try["want"] | string =>
  r === "ok" ? "ok" : r === "ECONNREFUSED" ? "refused" : r === "timeout" ? "timeout" : r;

const mount = cgroup2Mount();
if (process.getuid?.() !== 0 || mount === undefined) {
  test("peers in a netns need root and a cgroup2 mount", () => {
    console.warn("skipped: not root, or no cgroup2 mount");
  });
} else {
  test("reject refuses at once, deny times out, peers by name and except match exactly, log counts", async () => {
    const root = `vsc-pp-${process.pid}`;
    const r = checkText(config(root));
    assert.equal(summary(r.diagnostics), []);
    const ruleset = emitTarget(r.ir!, "nft");
    const dir = mkdtempSync(join(tmpdir(), "vsc-peers-"));
    const file = join(dir, "ruleset.nft");
    writeFileSync(file, ruleset);
    const removeCgroups = scratchCgroups(mount, root, Object.values(PATHS));
    const procs = (c: Ctx) => join(mount, root, PATHS[c], "cgroup.procs");
    const net = policyNet(`vpp${process.pid % 100000}`);
    const devB = `${`vpp${process.pid % 100000}`}b0`.slice(-15);
    const children: ChildProcess[] = [];
    try {
      for (const a of [EXCEPT_LAST, EXCEPT_NEXT, NEXT_TO_APP]) {
        const x = inNs(net.nsB, "ip", ["addr", "add", `${a}/16`, "dev", devB]);
        assert.is(x.status, 0, x.stderr);
      }
      const load = inNs(net.nsA, "unshare", [
        "-m",
        "sh",
        "-c",
        'mount -t cgroup2 none /sys/fs/cgroup && exec nft -f "$0"',
        file,
      ]);
      assert.is(load.status, 0, `nft -f: ${load.stderr}`);

      const listen = (ns: string, cg: string | undefined, host: string, ports: number[]) =>
        new Promise<void>((ready, fail) => {
          const [cmd, args] = argv(ns, cg, [
            process.execPath,
            "-e",
            LISTENER,
            host,
            ...ports.map(String),
          ]);
          const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
          children.push(c);
          c.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && ready());
          c.on("exit", (code) => fail(new Error(`listener on ${host} exited ${code}`)));
        });
      await Promise.all([
        listen(net.nsA, procs("app"), APP, PORTS),
        listen(net.nsA, procs("db"), DB, PORTS),
        listen(net.nsA, procs("edge"), EDGE, PORTS),
        listen(net.nsB, undefined, FAR_IN, [FAR_PORT]),
      ]);

      const wrong: string[] = [];
      for (const from of ["far", "app", "db"] as const) {
        const tries = TRIES.filter((t) => t.from === from);
        const ns = from === "far" ? net.nsB : net.nsA;
        const [cmd, args] = argv(ns, from === "far" ? undefined : procs(from), [
          process.execPath,
          "-e",
          CLIENT,
          String(CONNECT_MS),
          ...tries.map((t) => `tcp,${t.host},${t.port},${t.local}`),
        ]);
        const run = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
        const out = parseClient(run.stdout ?? "", run.stderr ?? "", `client ${from}`);
        tries.forEach((t, i) => {
          const got = outcome(out.results[i]!);
          const ms = out.ms[i]!;
          const line = `${from} -> ${t.host}:${t.port} from ${t.local}: ${out.results[i]} after ${ms} ms, expected ${t.want} (${t.why})`;
          if (got !== t.want) wrong.push(line);
          else if (t.want === "refused" && ms > REFUSED_MS)
            wrong.push(`${line}: too slow for a reject`);
          else if (t.want === "timeout" && ms < CONNECT_MS) wrong.push(`${line}: answered early`);
        });
      }
      const listing = inNs(net.nsA, "nft", ["list", "table", "inet", "vsc"]).stdout;
      assert.ok(wrong.length === 0, `${wrong.join("\n")}\n${listing}`);

      // The log rule of edge's input chain logged (and counted) the dropped SYNs of edge:8080.
      const chain = inNs(net.nsA, "nft", ["list", "chain", "inet", "vsc", "in_edge"]).stdout;
      const m = /counter packets (\d+) bytes \d+ log prefix "vsc edge: "/.exec(chain);
      assert.ok(m, chain);
      assert.ok(Number(m![1]) >= 1, chain);
      // db's reject has no log rule; only edge's chains have one.
      assert.not.match(listing.split("chain in_db")[1]!.split("chain")[0]!, /log prefix/);
    } finally {
      for (const c of children) c.kill("SIGKILL");
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? undefined
            : new Promise((done) => c.once("exit", done)),
        ),
      );
      net.destroy();
      removeCgroups();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
