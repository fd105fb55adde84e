/**
 * Ingress shaping (language-v2.md §3) on this host's kernel, through `vsc
 * apply` (the applier, in a scratch network namespace, cgroups in a scratch
 * tree): a context's ingress limit holds within 5% under a UDP flood from
 * the far end of a veth pair (classified by destination address, so no
 * cgroup is involved), and destroy removes the IFB device and the ingress
 * qdisc. The kernel lab runs the same through the CLI.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawn, spawnSync } from "node:child_process";
import { desiredState } from "../../src/emit/index.js";
import { applyWithLock, planDesired, planDestroyFor } from "../../src/apply/applier.js";
import { destroyTargetOf } from "../../src/plan/plan.js";
import { sampleDesired, scratch, scratchKernel } from "./fixture.js";
import { checkText } from "../check/helpers.js";
import { rootTest } from "../root.js";

const SENDER =
  'use Socket; socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!"; ' +
  "my $to = sockaddr_in($ARGV[1], inet_aton($ARGV[0])); my $b = 'x' x 1400; " +
  "while (1) { send($s, $b, 0, $to) }";

const sh = (ns: string, ...args: string[]) =>
  spawnSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8" });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function classBytes(ns: string, dev: string, id: string): number {
  const text = sh(ns, "tc", "-s", "class", "show", "dev", dev).stdout;
  const i = text.indexOf(`class htb ${id} `);
  const m = /Sent (\d+) bytes/.exec(text.slice(i));
  return i < 0 || !m ? 0 : Number(m[1]);
}

rootTest(
  "vsc apply: a context's ingress limit holds within 5% on the IFB device; destroy removes it",
  async () => {
    const a = `vsc-ing-a-${process.pid}`;
    const b = `vsc-ing-b-${process.pid}`;
    const cleanup = () => {
      spawnSync("ip", ["netns", "del", a]);
      spawnSync("ip", ["netns", "del", b]);
    };
    cleanup();
    let flood: ReturnType<typeof spawn> | undefined;
    const cleanups: Array<() => void> = [];
    let destroy: (() => Promise<void>) | undefined;
    try {
      for (const ns of [a, b]) assert.is(spawnSync("ip", ["netns", "add", ns]).status, 0);
      assert.is(
        spawnSync("ip", [
          "link",
          "add",
          "ing0",
          "netns",
          a,
          "type",
          "veth",
          "peer",
          "ing1",
          "netns",
          b,
        ]).status,
        0,
      );
      sh(a, "ip", "addr", "add", "10.233.0.1/24", "dev", "ing0");
      sh(b, "ip", "addr", "add", "10.233.0.2/24", "dev", "ing1");
      for (const [ns, dev] of [
        [a, "ing0"],
        [b, "ing1"],
      ] as const) {
        sh(ns, "ip", "link", "set", dev, "up");
        sh(ns, "ip", "link", "set", "lo", "up");
      }
      const r = checkText(
        `host h { cpus 2  memory 1GiB  link ing0 rate 10mbit { qdisc pfifo  ingress 8mbit } }\n` +
          `context d { id 804  net { address 10.233.0.1  link ing0 { ingress { limit 500kbit } } } }\n`,
      );
      assert.ok(r.ir, JSON.stringify(r.diagnostics));
      const full = desiredState(r.ir!);
      const d = { ...sampleDesired(), links: full.links, ingress: full.ingress! };
      const ifb = d.ingress[0]!.ifb;
      assert.is(ifb, "vsc-in-ing0");
      const s = scratch();
      const k = scratchKernel(s.mount, a);
      const opts = { stateDir: s.stateDir };
      const yes = async () => true;
      cleanups.push(s.cleanup);
      const applied = await applyWithLock(
        k,
        d.cgroupRoot,
        () => planDesired(k, d, opts),
        yes,
        opts,
      );
      assert.ok(applied.result?.ok, JSON.stringify(applied.diagnostics));
      destroy = async () => {
        const gone = await applyWithLock(
          k,
          d.cgroupRoot,
          () => planDestroyFor(k, destroyTargetOf(d), opts),
          yes,
          opts,
        );
        assert.ok(gone.result?.ok, JSON.stringify(gone.diagnostics));
      };
      flood = spawn("ip", ["netns", "exec", b, "perl", "-e", SENDER, "10.233.0.1", "9"], {
        stdio: "ignore",
      });
      for (let i = 0; classBytes(a, ifb, "1:324") === 0; i++) {
        if (i > 200) throw new Error("no packet reached the context's ingress class");
        await sleep(50);
      }
      await sleep(1500);
      const b0 = classBytes(a, ifb, "1:324");
      const t0 = process.hrtime.bigint();
      await sleep(4000);
      const b1 = classBytes(a, ifb, "1:324");
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const rate = ((b1 - b0) * 8) / secs;
      const err = Math.abs(rate - 500e3) / 500e3;
      // The flood is far above the limit: the default class got what did not go to 10.233.0.1 (nothing).
      assert.ok(
        err <= 0.05,
        `ingress ${(rate / 1e3).toFixed(1)} kbit/s against 500 (${(err * 100).toFixed(2)}%)`,
      );
      console.log(
        `ingress limit 500 kbit/s: ${(rate / 1e3).toFixed(1)} kbit/s (${(err * 100).toFixed(2)}%)`,
      );
      flood?.kill("SIGKILL");
      await destroy!();
      assert.is(
        sh(a, "ip", "link", "show", ifb).status !== 0,
        true,
        "destroy removed the IFB device",
      );
      assert.not.match(sh(a, "tc", "qdisc", "show", "dev", "ing0").stdout, "ingress");
    } finally {
      flood?.kill("SIGKILL");
      cleanup();
      for (const c of cleanups) c();
    }
  },
);

test.run();
