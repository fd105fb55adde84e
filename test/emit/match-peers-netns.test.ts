/**
 * `match` with peers by name and `except` (language-v2.md §3: "match takes
 * the same peer/port forms as allow"), with real packets on this host: the
 * compiled ruleset and tc.batch are loaded into a scratch network namespace,
 * a process in context app's cgroup sends UDP datagrams to addresses on the
 * far end of a veth pair, and the HTB class counters say where each went:
 * to context db's addresses -> traffic db; to class backend's (udp) ->
 * traffic lan; inside 10.244.0.0/16 but in its except 10.244.2.0/24 (and not
 * db or cache) -> the rest; just outside db's address -> not traffic db.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredState, emitTarget } from "../../src/emit/index.js";
import { cgroup2Mount, scratchCgroups } from "../exec/harness.js";
import { checkText, summary } from "../check/helpers.js";

const config = (root: string, dev: string) => `host lab {
  cpus 2
  memory 1GiB
  link ${dev} rate 100mbit { qdisc pfifo }
  cgroup-root "${root}"
}
class backend {}
context db in backend { id 312  net { address 10.244.2.20 } }
context cache in backend { id 314  net { address 10.244.5.30 } }
context app {
  id 311
  net {
    address 10.244.1.10
    link ${dev} {
      reserve 10mbit
      traffic db  { match udp to context db  prio 1 }
      traffic lan { match to 10.244.0.0/16 except 10.244.2.0/24, udp to class backend  prio 3 }
    }
  }
}
`;

/** Sends COUNT datagrams of 100 bytes to each HOST:9 named on the command line, one host after another. */
const SENDER =
  'const d=require("dgram").createSocket("udp4");const [n,...hs]=process.argv.slice(1);' +
  "let i=0;const go=()=>{if(i>=hs.length){d.close();return}let k=0;const one=()=>{" +
  "if(k++>=Number(n)){i++;return go()}d.send(Buffer.alloc(100),9,hs[i],()=>one())};one()};go();";

const inNs = (ns: string, cmd: string, args: string[], input?: string) =>
  spawnSync("nsenter", [`--net=/run/netns/${ns}`, "--", cmd, ...args], {
    encoding: "utf8",
    ...(input !== undefined ? { input } : {}),
  });

/** Packets sent by each HTB class of `dev`. */
function classPackets(ns: string, dev: string): Map<string, number> {
  const text = inNs(ns, "tc", ["-s", "class", "show", "dev", dev]).stdout;
  const out = new Map<string, number>();
  for (const m of text.matchAll(/class htb (\S+) [^\n]*\n\s*Sent \d+ bytes (\d+) pkt/g))
    out.set(m[1]!, Number(m[2]));
  return out;
}

const mount = cgroup2Mount();
if (process.getuid?.() !== 0 || mount === undefined) {
  test("match with peers by name in a netns needs root and a cgroup2 mount", () => {
    console.warn("skipped: not root, or no cgroup2 mount");
  });
} else {
  test("match to context / class / except: each packet goes to the traffic class its destination names", () => {
    const id = process.pid % 100000;
    const nsA = `vsc-traffic-m${id}a`;
    const nsB = `vsc-traffic-m${id}b`;
    const dev = `vtm${id}a`;
    const root = `vsc-traffic-m${id}`;
    const cleanNs = () => {
      spawnSync("ip", ["netns", "del", nsA]);
      spawnSync("ip", ["netns", "del", nsB]);
    };
    cleanNs();
    const dir = mkdtempSync(join(tmpdir(), "vsc-match-"));
    const removeCgroups = scratchCgroups(mount, root, ["app", "backend/db", "backend/cache"]);
    try {
      for (const ns of [nsA, nsB]) assert.is(spawnSync("ip", ["netns", "add", ns]).status, 0);
      const veth = spawnSync(
        "ip",
        ["link", "add", dev, "netns", nsA, "type", "veth", "peer", "name", `${dev}p`, "netns", nsB],
        { encoding: "utf8" },
      );
      assert.is(veth.status, 0, veth.stderr);
      inNs(nsA, "ip", ["addr", "add", "10.244.1.10/16", "dev", dev]);
      for (const a of ["10.244.2.20", "10.244.2.21", "10.244.5.30", "10.244.2.99", "10.244.3.5"])
        inNs(nsB, "ip", ["addr", "add", `${a}/16`, "dev", `${dev}p`]);
      for (const [ns, d] of [
        [nsA, dev],
        [nsB, `${dev}p`],
      ] as const) {
        inNs(ns, "ip", ["link", "set", d, "up"]);
        inNs(ns, "ip", ["link", "set", "lo", "up"]);
      }
      const r = checkText(config(root, dev));
      // udp to class backend overlaps udp to context db (db is in backend): db, written first, wins.
      assert.equal(summary(r.diagnostics), ["VSC4051@17:66"]);
      const ruleset = emitTarget(r.ir!, "nft");
      assert.match(ruleset, "ip daddr @peer_db_v4 meta l4proto udp meta priority set");
      assert.match(ruleset, "ip daddr 10.244.0.0/16 ip daddr != 10.244.2.0/24 meta priority set");
      const file = join(dir, "ruleset.nft");
      writeFileSync(file, ruleset);
      const load = inNs(nsA, "unshare", [
        "-m",
        "sh",
        "-c",
        'mount -t cgroup2 none /sys/fs/cgroup && exec nft -f "$0"',
        file,
      ]);
      assert.is(load.status, 0, `nft -f: ${load.stderr}`);
      const tc = inNs(nsA, "tc", ["-batch", "-"], emitTarget(r.ir!, "tc"));
      assert.is(tc.status, 0, tc.stderr);

      const classOf = (note: string) => {
        const c = desiredState(r.ir!).links[0]!.classes.find((x) => x.name.startsWith(note));
        assert.ok(c, note);
        return c!.classid;
      };
      const ids = {
        db: classOf("app traffic db"),
        lan: classOf("app traffic lan"),
        rest: classOf("app the rest"),
      };
      const before = classPackets(nsA, dev);
      const N = 50;
      const send = (hosts: string[]) => {
        const s = spawnSync(
          "sh",
          [
            "-c",
            'echo $$ > "$0" && exec "$@"',
            join(mount, root, "app", "cgroup.procs"),
            "nsenter",
            `--net=/run/netns/${nsA}`,
            "--",
            process.execPath,
            "-e",
            SENDER,
            String(N),
            ...hosts,
          ],
          { encoding: "utf8", timeout: 30_000 },
        );
        assert.is(s.status, 0, s.stderr);
        const now = classPackets(nsA, dev);
        const d = (k: keyof typeof ids) => (now.get(ids[k]) ?? 0) - (before.get(ids[k]) ?? 0);
        const got = { db: d("db"), lan: d("lan"), rest: d("rest") };
        for (const k of Object.keys(ids) as Array<keyof typeof ids>)
          before.set(ids[k], now.get(ids[k]) ?? 0);
        return got;
      };
      // ARP first (its packets are not the context's), then the counted sends.
      inNs(nsA, "ping", ["-c1", "-W1", "10.244.2.20"]);
      for (const a of ["10.244.2.21", "10.244.5.30", "10.244.2.99", "10.244.3.5"])
        inNs(nsA, "ping", ["-c1", "-W1", a]);
      const near = (x: number) => x >= N && x <= N + 2;
      const toDb = send(["10.244.2.20"]);
      assert.ok(
        near(toDb.db) && toDb.lan === 0 && toDb.rest === 0,
        `to context db: ${JSON.stringify(toDb)}`,
      );
      const nextToDb = send(["10.244.2.21"]);
      assert.ok(
        near(nextToDb.rest) && nextToDb.db === 0 && nextToDb.lan === 0,
        `next to db (in lan's except): ${JSON.stringify(nextToDb)}`,
      );
      const toCache = send(["10.244.5.30"]);
      assert.ok(
        near(toCache.lan) && toCache.db === 0,
        `to class backend (cache): ${JSON.stringify(toCache)}`,
      );
      const inExcept = send(["10.244.2.99"]);
      assert.ok(
        near(inExcept.rest) && inExcept.lan === 0,
        `inside the except: ${JSON.stringify(inExcept)}`,
      );
      const inLan = send(["10.244.3.5"]);
      assert.ok(
        near(inLan.lan) && inLan.rest === 0,
        `inside the /16, outside the except: ${JSON.stringify(inLan)}`,
      );
    } finally {
      cleanNs();
      removeCgroups();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
