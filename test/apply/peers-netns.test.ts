/**
 * Peer sets through the real `vsc plan/apply/destroy` on this host: nft for
 * real in a scratch network namespace, cgroups in a scratch tree (this host's
 * cgroup v1 holds the controllers). nft resolves `socket cgroupv2` paths
 * against /sys/fs/cgroup, so vsc runs in a private mount namespace with the
 * cgroup2 hierarchy mounted there, where the contexts' directories are made
 * (and removed) by the test. Shown: apply from empty loads the sets (read
 * back with `nft list set`); a second plan has nothing to do; moving one
 * address is exactly one change (the ruleset), applied and read back; a load
 * nft refuses is rolled back (the scratch cgroup it made is gone, the old
 * table and its sets stay); destroy removes the table.
 */
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { cgroup2Mount, scratchCgroups } from "../exec/harness.js";
import { test } from "uvu";
import { rootTest } from "../root.js";

const ROOT = `vsc-pa-${process.pid}`;
const config = (app: string, extra = "") => `host lab {
  cpus 2
  memory 1GiB
  cgroup-root "${ROOT}"
}

class backend {}
context app in backend { id 311  net { address ${app} } }
context db in backend {
  id 312
  net {
    address 10.244.1.11
    allow in tcp from context app port 22
    allow out to class backend
    default reject
  }
}
context edge { id 313  net { address 10.244.1.12  allow in tcp port 443  default deny log } }
${extra}`;

rootTest(
  "peer sets: apply, no-op re-plan, one-change move, refused load rolled back, destroy",
  () => {
    const mount = cgroup2Mount();
    assert.ok(mount, "no cgroup2 mount on this host");
    const dir = mkdtempSync(join(tmpdir(), "vsc-peers-apply-"));
    const scratch = join(dir, "cg");
    makeScratchMount(scratch);
    const file = join(dir, "p.vsc");
    const ns = `vpa${process.pid % 100000}`;
    const removeCgroups = scratchCgroups(mount!, ROOT, ["backend/app", "backend/db", "edge"]);
    spawnSync("ip", ["netns", "add", ns]);
    const vsc = (...args: string[]) => {
      const r = spawnSync(
        "unshare",
        [
          "-m",
          "sh",
          "-c",
          'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"',
          "vsc",
          process.execPath,
          join(packageRoot(), "bin", "vsc.js"),
          ...args,
          "--netns",
          ns,
          "--cgroup-mount",
          scratch,
        ],
        {
          encoding: "utf8",
          env: {
            ...process.env,
            FORCE_COLOR: "",
            NO_COLOR: "1",
            VSC_STATE_DIR: join(dir, "state"),
          },
        },
      );
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const nft = (...args: string[]) =>
      spawnSync("nsenter", [`--net=/run/netns/${ns}`, "nft", ...args], { encoding: "utf8" });
    const elements = (set: string) =>
      /elements = \{ ([^}]*) \}/.exec(nft("list", "set", "inet", "vsc", set).stdout)?.[1];
    const digest = () => /vsc:([0-9a-f]{64})/.exec(nft("list", "chains", "inet").stdout)?.[1];
    try {
      writeFileSync(file, config("10.244.1.10"));
      const a = vsc("apply", file, "--auto-approve");
      assert.is(a.code, 0, a.out);
      assert.is(elements("peer_app_v4"), "10.244.1.10");
      // auto-merge: the kernel keeps .10 and .11 as one interval.
      assert.is(elements("peer_backend_v4"), "10.244.1.10/31");
      assert.is(vsc("plan", file, "--detailed-exitcode").code, 0);

      writeFileSync(file, config("10.244.1.13"));
      const p = vsc("plan", file, "--detailed-exitcode");
      assert.is(p.code, 2, p.out);
      assert.match(p.out, /Plan: 0 to add, 1 to change, 0 to destroy\./, p.out);
      assert.match(p.out, /~ table inet vsc: digest/);
      const b = vsc("apply", file, "--auto-approve");
      assert.is(b.code, 0, b.out);
      assert.is(elements("peer_app_v4"), "10.244.1.13");
      assert.is(elements("peer_backend_v4"), "10.244.1.11, 10.244.1.13");
      assert.is(vsc("plan", file, "--detailed-exitcode").code, 0);

      // A new context in backend: its cgroup is made (scratch), then nft refuses the
      // ruleset (its path does not exist where nft looks): everything is undone.
      const before = digest();
      writeFileSync(
        file,
        config("10.244.1.13", "context cache in backend { id 314  net { address 10.244.1.14 } }\n"),
      );
      const c = vsc("apply", file, "--auto-approve");
      assert.is(c.code, 1, c.out);
      assert.match(c.out, /VSC5023/);
      assert.match(c.out, /as it was/);
      assert.is(digest(), before);
      assert.is(elements("peer_backend_v4"), "10.244.1.11, 10.244.1.13");
      assert.not.ok(readdirSync(join(scratch, ROOT, "backend")).includes("cache"));

      writeFileSync(file, config("10.244.1.13"));
      const d = vsc("destroy", file, "--auto-approve");
      assert.is(d.code, 0, d.out);
      assert.is(nft("list", "table", "inet", "vsc").status, 1, "table gone");
    } finally {
      spawnSync("ip", ["netns", "del", ns]);
      removeCgroups();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
test.run();
