// `vsc exec` and the network, on a real kernel (the lab): a .vsc file applied
// with the real CLI into a scratch netns, then processes started with the real
// `vsc exec` in that netns. What the kernel does with their packets proves that
// the compiled nftables rules and tc classes apply to the context's processes,
// and only to them: allowed port connects, denied port and foreign source
// address do not, the context's egress lands in its HTB class, another
// context's in its own, and a process outside every context is unaffected and
// lands in the default class 1:ffff. Then `vsc destroy` takes it all back out.
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import {
  LAB_CGROUP_MOUNT,
  labSuite,
  must,
  removeCgroup,
  run,
  scratchNet,
  tcClassStats,
  type ClassStats,
  type RunResult,
  type ScratchNet,
} from "./lab.js";

const test = labSuite("vsc exec: a context's traffic obeys its nft rules and tc class");

const ROOT = `vsc-exec-net-${process.pid}`;
const PORT_OK = 18080;
const PORT_DENIED = 18081;
const WEB_CLASS = "1:a"; // context web, id 10
const BATCH_CLASS = "1:14"; // context batch, id 20
const DEFAULT_CLASS = "1:ffff";
/** Connect timeout inside the guest: a dropped SYN is retried, so "denied" shows as a timeout. */
const CONNECT_MS = 4000;
/** Under software emulation a node start-up takes seconds; a busy host makes it worse. */
const SLOW = { timeoutMs: 240_000 };

const vscBin = () => join(packageRoot(), "bin", "vsc.js");

/**
 * Listens on HOST for each PORT; logs every accepted connection as a JSON
 * line {port, from} to LOG, answers "ok\n" and closes (server first, so the
 * client never lingers in TIME_WAIT sending packets after its process ended).
 */
const LISTENER = `
const net = require("net"), fs = require("fs");
const [host, log, ...ports] = process.argv.slice(1);
let up = 0;
for (const p of ports) {
  net.createServer((s) => {
    fs.appendFileSync(log, JSON.stringify({ port: Number(p), from: s.remoteAddress }) + "\\n");
    s.end("ok\\n");
  }).listen(Number(p), host, () => {
    if (++up === ports.length) fs.appendFileSync(log, "ready\\n");
  });
}`;

/**
 * Tries each "HOST,PORT[,LOCAL_ADDRESS]" at once; each result is "ok" (got the
 * listener's answer), an errno code, or "timeout". Prints
 * {cgroup, results} as JSON, after a short pause so the last FIN/ACKs are out.
 */
const CLIENT = `
const net = require("net"), fs = require("fs");
const [ms, ...tries] = process.argv.slice(1);
const one = (t) => new Promise((done) => {
  const [host, port, localAddress] = t.split(",");
  let data = "";
  const s = net.connect({ host, port: Number(port), ...(localAddress ? { localAddress } : {}) });
  const timer = setTimeout(() => { s.destroy(); done("timeout"); }, Number(ms));
  s.on("data", (b) => (data += b));
  s.on("error", (e) => { clearTimeout(timer); done(e.code || String(e)); });
  s.on("close", () => { clearTimeout(timer); done(data === "ok\\n" ? "ok" : "closed:" + data); });
});
Promise.all(tries.map(one)).then((results) => setTimeout(() => {
  const cgroup = fs.readFileSync("/proc/self/cgroup", "utf8").trim();
  console.log(JSON.stringify({ cgroup, results }));
}, 300));`;

interface ClientOut {
  cgroup: string;
  results: string[];
}

function config(net: ScratchNet): string {
  const dev = net.devA;
  return `# written by test/kernel/exec-net.test.ts
host lab {
  cpus 2
  memory 1GiB
  link ${dev} rate 100mbit
  cgroup-root "${ROOT}"
}

context web {
  id 10
  net {
    address ${net.addrA}
    link ${dev} { reserve 10mbit  limit 50mbit }
    allow out tcp port ${PORT_OK}
    default deny
  }
}

context batch {
  id 20
  net {
    link ${dev} { limit 20mbit }
  }
}
`;
}

function parseClient(r: RunResult, who: string): ClientOut {
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ClientOut;
  } catch {
    throw new Error(
      `${who}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}\n${r.stderr}${r.stdout}`,
    );
  }
}

/** Packets sent through each class since `before`. */
function moved(before: Map<string, ClassStats>, after: Map<string, ClassStats>) {
  const d = (id: string) => (after.get(id)?.packets ?? NaN) - (before.get(id)?.packets ?? NaN);
  return { web: d(WEB_CLASS), batch: d(BATCH_CLASS), dflt: d(DEFAULT_CLASS) };
}

test("allowed port, denied port, foreign source, tc class; other context and outside unaffected", async () => {
  const dir = mkdtempSync("/tmp/vsc-exec-net-");
  const file = join(dir, "net.vsc");
  const log = join(dir, "listener.log");
  const stateDir = join(dir, "state");
  const env = { ...process.env, VSC_STATE_DIR: stateDir };
  let net: ScratchNet | undefined;
  let listener: ChildProcess | undefined;
  let destroyed = false;
  const cli = (args: string[], netns?: string) =>
    run(process.execPath, [vscBin(), ...args], { ...SLOW, env, netns });
  const kernelArgs = (ns: string) => [
    "--auto-approve",
    "--netns",
    ns,
    "--cgroup-mount",
    LAB_CGROUP_MOUNT,
  ];
  try {
    net = scratchNet("vxn");
    const { nsA, nsB, devA, addrA, addrB } = net;
    // A second address on the host side: real, usable by the host, not web's.
    const foreign = addrA.replace(/\.1$/, ".3");
    must("ip", ["addr", "add", `${foreign}/24`, "dev", devA], { netns: nsA });
    // Like scratchNet's own addresses, a static neighbour on the far side: no ARP reply
    // (a kernel packet of no context, counted in 1:ffff) ever crosses the link.
    const mac = (
      JSON.parse(must("ip", ["-j", "link", "show", devA], { netns: nsA })) as { address: string }[]
    )[0]!.address;
    must("ip", ["neigh", "replace", foreign, "lladdr", mac, "dev", net.devB, "nud", "permanent"], {
      netns: nsB,
    });
    writeFileSync(file, config(net));

    const applied = cli(["apply", file, ...kernelArgs(nsA)]);
    assert.is(applied.code, 0, `vsc apply: ${applied.stderr}${applied.stdout}`);
    const classes = tcClassStats(devA, nsA);
    for (const id of [WEB_CLASS, BATCH_CLASS, DEFAULT_CLASS])
      assert.ok(classes.has(id), `class ${id} on ${devA}: ${[...classes.keys()].join(" ")}`);

    // The far end: a listener on both ports in nsB, logging who connected.
    writeFileSync(log, "");
    listener = spawn(
      "nsenter",
      [
        `--net=/run/netns/${nsB}`,
        "--",
        process.execPath,
        "-e",
        LISTENER,
        addrB,
        log,
        `${PORT_OK}`,
        `${PORT_DENIED}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    for (let i = 0; i < 1200 && !readFileSync(log, "utf8").includes("ready"); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(readFileSync(log, "utf8"), /ready/, "the listener did not come up");
    let seen = 1; // lines of the log already looked at ("ready")
    const newConnections = () => {
      const lines = readFileSync(log, "utf8").trim().split("\n");
      const fresh = lines.slice(seen).map((l) => JSON.parse(l) as { port: number; from: string });
      seen = lines.length;
      return fresh.map((c) => `${c.from}->${c.port}`).sort();
    };
    const ruleset = () => must("nft", ["list", "table", "inet", "vsc"], { netns: nsA });
    const client = (tries: string[]) => ["-e", CLIENT, `${CONNECT_MS}`, ...tries];

    // 1. web, through vsc exec in nsA: the allowed port, the denied port, the allowed
    //    port from an address that is on the host but not web's.
    const t0 = tcClassStats(devA, nsA);
    const webRun = cli(
      [
        "exec",
        "--file",
        file,
        "--cgroup-mount",
        LAB_CGROUP_MOUNT,
        "web",
        "--",
        process.execPath,
        ...client([
          `${addrB},${PORT_OK}`,
          `${addrB},${PORT_DENIED}`,
          `${addrB},${PORT_OK},${foreign}`,
        ]),
      ],
      nsA,
    );
    const web = parseClient(webRun, "vsc exec web");
    const t1 = tcClassStats(devA, nsA);
    assert.is(web.cgroup, `0::/${ROOT}/web`, "the command runs in web's cgroup");
    const [allowed, denied, spoofed] = web.results;
    assert.is(allowed, "ok", `web -> tcp ${PORT_OK} (allowed) must connect\n${ruleset()}`);
    assert.is.not(denied, "ok", `web -> tcp ${PORT_DENIED} (not allowed) must not connect`);
    assert.is.not(spoofed, "ok", `web from ${foreign} (not its address) must not connect`);
    assert.equal(
      newConnections(),
      [`${addrA}->${PORT_OK}`],
      "the listener saw only web's allowed connection",
    );
    const webMoved = moved(t0, t1);
    // SYN, ACK, ACK of the answer and FIN at least; dropped packets never reach the qdisc.
    assert.ok(webMoved.web >= 3, `web's packets -> ${WEB_CLASS}: ${JSON.stringify(webMoved)}`);
    assert.is(
      webMoved.dflt,
      0,
      `nothing of web's in ${DEFAULT_CLASS}: ${JSON.stringify(webMoved)}`,
    );
    assert.is(webMoved.batch, 0, `nothing of web's in ${BATCH_CLASS}: ${JSON.stringify(webMoved)}`);

    // 2. batch (default allow, no address): web's denied port is fine for it, in its own class,
    //    from any host address except one a context declared: web's address is web's alone.
    const batchRun = cli(
      [
        "exec",
        "--file",
        file,
        "--cgroup-mount",
        LAB_CGROUP_MOUNT,
        "batch",
        "--",
        process.execPath,
        ...client([`${addrB},${PORT_DENIED},${foreign}`]),
      ],
      nsA,
    );
    const batch = parseClient(batchRun, "vsc exec batch");
    const t2 = tcClassStats(devA, nsA);
    assert.is(batch.cgroup, `0::/${ROOT}/batch`);
    assert.equal(batch.results, ["ok"], `batch -> tcp ${PORT_DENIED} from ${foreign} must connect`);
    assert.equal(newConnections(), [`${foreign}->${PORT_DENIED}`]);
    const batchMoved = moved(t1, t2);
    assert.ok(
      batchMoved.batch >= 3,
      `batch's packets -> ${BATCH_CLASS}: ${JSON.stringify(batchMoved)}`,
    );
    assert.is(
      batchMoved.web,
      0,
      `nothing of batch's in ${WEB_CLASS}: ${JSON.stringify(batchMoved)}`,
    );
    assert.is(
      batchMoved.dflt,
      0,
      `nothing of batch's in ${DEFAULT_CLASS}: ${JSON.stringify(batchMoved)}`,
    );

    // 2b. batch may not send from web's address: dropped before any qdisc sees it.
    const spoofRun = cli(
      [
        "exec",
        "--file",
        file,
        "--cgroup-mount",
        LAB_CGROUP_MOUNT,
        "batch",
        "--",
        process.execPath,
        ...client([`${addrB},${PORT_DENIED},${addrA}`]),
      ],
      nsA,
    );
    const spoof = parseClient(spoofRun, "vsc exec batch (from web's address)");
    const t2b = tcClassStats(devA, nsA);
    assert.is.not(spoof.results[0], "ok", `batch must not send from web's address ${addrA}`);
    assert.equal(newConnections(), [], "the listener saw nothing from batch as web");
    assert.equal(moved(t2, t2b), { web: 0, batch: 0, dflt: 0 }, "dropped packets reach no class");

    // 3. A process in no context, same netns: what web may not do works, in the default class.
    const outsideRun = run(
      process.execPath,
      client([`${addrB},${PORT_DENIED}`, `${addrB},${PORT_OK},${foreign}`]),
      { ...SLOW, netns: nsA },
    );
    const outside = parseClient(outsideRun, "outside");
    const t3 = tcClassStats(devA, nsA);
    assert.not.match(outside.cgroup, new RegExp(ROOT), "the control runs outside vsc's subtree");
    assert.equal(outside.results, ["ok", "ok"], "outside every context nothing is filtered");
    assert.equal(newConnections(), [`${addrA}->${PORT_DENIED}`, `${foreign}->${PORT_OK}`].sort());
    const outsideMoved = moved(t2b, t3);
    assert.ok(
      outsideMoved.dflt >= 6,
      `outside packets -> ${DEFAULT_CLASS}: ${JSON.stringify(outsideMoved)}`,
    );
    assert.is(
      outsideMoved.web,
      0,
      `nothing outside in ${WEB_CLASS}: ${JSON.stringify(outsideMoved)}`,
    );
    assert.is(
      outsideMoved.batch,
      0,
      `nothing outside in ${BATCH_CLASS}: ${JSON.stringify(outsideMoved)}`,
    );

    // 4. destroy takes everything vsc made back out of the kernel.
    const gone = cli(["destroy", file, ...kernelArgs(nsA)]);
    destroyed = gone.code === 0;
    assert.is(gone.code, 0, `vsc destroy: ${gone.stderr}${gone.stdout}`);
    assert.ok(!existsSync(join(LAB_CGROUP_MOUNT, ROOT)), "the cgroup subtree is gone");
    assert.is(run("nft", ["list", "table", "inet", "vsc"], { netns: nsA }).code, 1, "table gone");
    assert.not.match(must("tc", ["qdisc", "show", "dev", devA], { netns: nsA }), /htb/);
  } finally {
    listener?.kill("SIGKILL");
    if (net) {
      if (!destroyed) {
        const d = cli(["destroy", file, "--move-procs", ...kernelArgs(net.nsA)]);
        if (d.code !== 0) console.error(`vsc destroy: ${d.stderr}${d.stdout}`);
      }
      net.destroy();
    }
    // Belt and braces: the cgroups are gone after destroy; a failed destroy must not leak them.
    if (existsSync(join(LAB_CGROUP_MOUNT, ROOT))) removeCgroup(ROOT);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
