// Traffic classes, priorities and ingress (language-v2.md §3) on a real
// kernel with real traffic over a veth pair (the isolation experiments'
// method: UDP senders started with `vsc exec` in their contexts, rates read
// from the HTB class counters over a window):
//  1. two traffic classes of one context, both saturated, get their rates
//     (reserve = limit) within 5%, one of them with an sfq leaf;
//  2. a prio 0 class's ping latency under a saturating prio 7 flow of the
//     same context stays within 2x of idle; without traffic classes (ping and
//     the flow share the context's pfifo leaf) it does not;
//  3. a context's ingress limit holds within 5% on the IFB device, made by
//     `vsc apply` (the IFB device, its tree and filter, the redirect); a
//     second plan has nothing to do; `vsc destroy` removes the IFB device and
//     the link's ingress qdisc.
// Figures are printed for the README's isolation table.
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { ifbName } from "../../src/model/ingress.js";
import {
  LAB_CGROUP_MOUNT,
  labSuite,
  must,
  run,
  scratchNet,
  tcClassStats,
  writeCgroup,
} from "./lab.js";

const test = labSuite("traffic classes, prio and ingress with real traffic");
const vscBin = () => join(packageRoot(), "bin", "vsc.js");
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const SLOW = { timeoutMs: 600_000 };
const ROOT = `vsc-trf-${process.pid}`;

/** UDP datagrams of 1400 bytes to ARGV[0]:ARGV[1] in a tight loop (send errors ignored). */
const SENDER =
  'use Socket; socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!"; ' +
  "my $to = sockaddr_in($ARGV[1], inet_aton($ARGV[0])); my $b = 'x' x 1400; " +
  "while (1) { send($s, $b, 0, $to) }";

const config = (dev: string) => `host lab {
  cpus 2
  memory 2GiB
  link ${dev} rate 4mbit { qdisc pfifo }
  cgroup-root "${ROOT}"
}
context a {
  id 801
  net {
    link ${dev} {
      reserve 1mbit  limit 1mbit
      traffic p1 { match udp port 9001  reserve 300kbit  limit 300kbit }
      traffic p2 { match udp port 9002  reserve 600kbit  limit 600kbit  qdisc sfq }
    }
  }
}
context b {
  id 802
  net {
    link ${dev} {
      reserve 1mbit  limit 1mbit
      traffic ping { match icmp  prio 0 }
      traffic bulk { match udp port 9003  prio 7 }
    }
  }
}
context c {
  id 803
  net { link ${dev} { reserve 1mbit  limit 1mbit } }
}
`;

const rate = async (dev: string, ns: string, ids: string[], ms: number) => {
  const s0 = tcClassStats(dev, ns);
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const s1 = tcClassStats(dev, ns);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return ids.map((id) => ((s1.get(id)!.bytes - s0.get(id)!.bytes) * 8) / secs);
};

/** Median RTT (ms) of `count` pings from a context. */
function pingMedian(file: string, ctx: string, ns: string, to: string, count = 20): number {
  const r = run(
    process.execPath,
    [
      vscBin(),
      "exec",
      "-f",
      file,
      "--cgroup-mount",
      LAB_CGROUP_MOUNT,
      ctx,
      "--",
      "nsenter",
      `--net=/run/netns/${ns}`,
      "--",
      "ping",
      "-n",
      "-c",
      String(count),
      "-i",
      "0.2",
      to,
    ],
    SLOW,
  );
  const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)]
    .map((m) => Number(m[1]))
    .sort((x, y) => x - y);
  assert.ok(rtts.length >= count / 2, `ping from ${ctx}: ${r.stdout}${r.stderr}`);
  return rtts[Math.floor(rtts.length / 2)]!;
}

test("traffic class rates, prio latency, ingress limit", async () => {
  const net = scratchNet("trf");
  const dir = mkdtempSync("/tmp/vsc-trf-");
  const file = join(dir, "traffic.vsc");
  const env = { ...process.env, FORCE_COLOR: "", NO_COLOR: "1", VSC_STATE_DIR: join(dir, "state") };
  const kids: ChildProcess[] = [];
  const sender = (ctx: string, port: number) => {
    const c = spawn(
      process.execPath,
      [
        vscBin(),
        "exec",
        "-f",
        file,
        "--cgroup-mount",
        LAB_CGROUP_MOUNT,
        ctx,
        "--",
        "nsenter",
        `--net=/run/netns/${net.nsA}`,
        "--",
        "perl",
        "-e",
        SENDER,
        net.addrB,
        String(port),
      ],
      { env, stdio: "ignore" },
    );
    kids.push(c);
  };
  const kill = (ctx: string) => writeCgroup(`${ROOT}/${ctx}`, "cgroup.kill", "1");
  try {
    writeFileSync(file, config(net.devA));
    const applied = run(
      process.execPath,
      [
        vscBin(),
        "apply",
        file,
        "--auto-approve",
        "--netns",
        net.nsA,
        "--cgroup-mount",
        LAB_CGROUP_MOUNT,
      ],
      { ...SLOW, env },
    );
    assert.is(applied.code, 0, `vsc apply: ${applied.stderr}${applied.stdout}`);
    const classes = must("tc", ["-d", "class", "show", "dev", net.devA], { netns: net.nsA });
    const idOf = (note: string) => {
      const tc = must(
        process.execPath,
        [vscBin(), "compile", file, "--target", "tc", "-o", "-"],
        SLOW,
      );
      const m = new RegExp(
        `# ${note} \\([^)]*\\)\\nclass add dev \\S+ parent \\S+ classid (\\S+)`,
      ).exec(tc);
      assert.ok(m, `no class for ${note} in tc.batch`);
      return m![1]!;
    };
    const p1 = idOf("a traffic p1");
    const p2 = idOf("a traffic p2");
    assert.match(classes, `class htb`);

    // 1. Rates of two traffic classes.
    sender("a", 9001);
    sender("a", 9002);
    for (let i = 0; ; i++) {
      const st = tcClassStats(net.devA, net.nsA);
      if ((st.get(p1)?.bytes ?? 0) > 0 && (st.get(p2)?.bytes ?? 0) > 0) break;
      if (i > 1200) throw new Error("a sender never sent");
      await sleep(250);
    }
    await sleep(2000);
    const [r1, r2] = await rate(net.devA, net.nsA, [p1, p2], 6000);
    const e1 = Math.abs(r1! - 300e3) / 300e3;
    const e2 = Math.abs(r2! - 600e3) / 600e3;
    console.log(
      `traffic rates: p1 ${(r1! / 1e3).toFixed(1)} kbit/s (300, ${(e1 * 100).toFixed(2)}%), p2 ${(r2! / 1e3).toFixed(1)} kbit/s (600, ${(e2 * 100).toFixed(2)}%)`,
    );
    const leaves = must("tc", ["qdisc", "show", "dev", net.devA], { netns: net.nsA });
    assert.match(leaves, new RegExp(`sfq \\S+ parent ${p2}`));
    kill("a");
    assert.ok(e1 <= 0.05 && e2 <= 0.05, `rates off by more than 5%: ${e1}, ${e2}`);

    // 2. Ping latency: idle, under a prio 7 flow of the same context, and without traffic classes.
    const idleB = pingMedian(file, "b", net.nsA, net.addrB);
    sender("b", 9003);
    await sleep(8000);
    const busyB = pingMedian(file, "b", net.nsA, net.addrB);
    kill("b");
    await sleep(1000);
    const idleC = pingMedian(file, "c", net.nsA, net.addrB);
    sender("c", 9003);
    await sleep(8000);
    const busyC = pingMedian(file, "c", net.nsA, net.addrB);
    kill("c");
    console.log(
      `ping median: prio 0 class idle ${idleB} ms, under prio 7 flow ${busyB} ms (${(busyB / idleB).toFixed(2)}x); one pfifo leaf idle ${idleC} ms, under the flow ${busyC} ms (${(busyC / idleC).toFixed(2)}x)`,
    );
    assert.ok(busyB <= 2 * idleB, `prio 0 ping ${busyB} ms > 2x idle ${idleB} ms`);
    assert.ok(
      busyC > 2 * idleC,
      `without traffic classes ping stayed at ${busyC} ms (idle ${idleC})`,
    );
  } finally {
    for (const k of kids) if (k.exitCode === null) k.kill("SIGKILL");
    net.destroy();
  }
});

// 3. Ingress through `vsc apply` and `vsc destroy` (its own test: a first
// part starved by a loaded host must not hide it).
test("ingress limit through vsc apply; re-plan empty; destroy removes it", async () => {
  const net = scratchNet("tin");
  const dir = mkdtempSync("/tmp/vsc-tin-");
  const env = { ...process.env, FORCE_COLOR: "", NO_COLOR: "1", VSC_STATE_DIR: join(dir, "state") };
  const kids: ChildProcess[] = [];
  try {
    const inFile = join(dir, "ingress.vsc");
    writeFileSync(
      inFile,
      `host lab { cpus 2  memory 2GiB  link ${net.devA} rate 4mbit { qdisc pfifo  ingress 3mbit }  cgroup-root "${ROOT}-in" }\n` +
        `context d { id 804  net { address ${net.addrA}  link ${net.devA} { ingress { limit 500kbit } } } }\n`,
    );
    const cli = (verb: string, ...extra: string[]) =>
      run(
        process.execPath,
        [vscBin(), verb, inFile, ...extra, "--netns", net.nsA, "--cgroup-mount", LAB_CGROUP_MOUNT],
        { ...SLOW, env },
      );
    const ifb = ifbName(net.devA);
    const applyIn = cli("apply", "--auto-approve");
    assert.is(applyIn.code, 0, `vsc apply (ingress): ${applyIn.stderr}${applyIn.stdout}`);
    assert.match(applyIn.stdout, `+ ifb device ${ifb} for the ingress of ${net.devA}`);
    assert.match(
      must("tc", ["filter", "show", "dev", net.devA, "ingress"], { netns: net.nsA }),
      `Egress Redirect to device ${ifb}`,
    );
    const again = cli("plan", "--detailed-exitcode");
    assert.is(again.code, 0, `a second plan changes something: ${again.stdout}${again.stderr}`);
    const far = spawn(
      "nsenter",
      [`--net=/run/netns/${net.nsB}`, "--", "perl", "-e", SENDER, net.addrA, "9"],
      { stdio: "ignore" },
    );
    kids.push(far);
    await sleep(5000);
    const [ri] = await rate(ifb, net.nsA, ["1:324"], 6000);
    const ei = Math.abs(ri! - 500e3) / 500e3;
    console.log(
      `ingress: ${(ri! / 1e3).toFixed(1)} kbit/s on ${ifb} (limit 500, ${(ei * 100).toFixed(2)}%)`,
    );
    far.kill("SIGKILL");
    assert.ok(ei <= 0.05, `ingress off by ${ei}`);
    const gone = cli("destroy", "--auto-approve");
    assert.is(gone.code, 0, `vsc destroy (ingress): ${gone.stderr}${gone.stdout}`);
    assert.is(run("ip", ["link", "show", ifb], { netns: net.nsA }).code !== 0, true);
    assert.not.match(must("tc", ["qdisc", "show", "dev", net.devA], { netns: net.nsA }), "ingress");
  } finally {
    for (const k of kids) if (k.exitCode === null) k.kill("SIGKILL");
    net.destroy();
  }
});

test.run();
