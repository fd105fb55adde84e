/**
 * The systemd driver on a real systemd 252 as PID 1 (the kernel lab's
 * systemd mode: `bash scripts/kernel-lab/run.sh --systemd --boots 2`, or
 * `npm run test:systemd-lab`). Boot 1: apply, values in the slices' cgroup
 * files, a listed unit in its slice with the bounding set and NoNewPrivs,
 * an empty second plan, a one-field edit without a restart, `vsc exec` as a
 * transient unit in the slice (exit status and signals), systemd refusing a
 * value (rollback with systemd's message), foreign slice and unit untouched,
 * driver cgroupfs warning once; then what apply wrote under /etc (and the
 * lab's own stand-in units) is saved for boot 2. Boot 2: everything back with
 * no vsc process having run, an empty plan, destroy, then a refused apply
 * from empty (a missing listed unit: warning; nothing left behind).
 */
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { check } from "../../src/check/index.js";
import { desiredState } from "../../src/model/state.js";
import { sdDesired } from "../../src/systemd/driver.js";
import { loadProgram, memoryHost } from "../../src/syntax/load.js";

const BOOT = Number(process.env.VSC_LAB_BOOT ?? "1");
const OUT = process.env.VSC_LAB_OUT ?? "/lab/out";
const UNIT_DIR = "/etc/systemd/system";
const CG = "/sys/fs/cgroup";

const CONFIG = (memLimit: string) => `host lab {
  cpus 2
  memory 1GiB
  link vsclab0 rate 100mbit
  driver systemd
}

class tenant { cpu { share 2 } }

context shop in tenant {
  id 501
  units "lab-web.service"
  cpu { share 4  reserve 25%  limit 1.5 cpus }
  memory { high 200MiB  limit ${memLimit} }
  pids { limit 300 }
  security { capabilities keep net_bind_service, setuid, setgid }
  net {
    address 10.99.0.5
    link vsclab0 { reserve 10mbit  limit 50mbit }
    allow in tcp port 80
  }
}

context batch in tenant { id 502  cpu { share 1 } }
`;
const FIRST = CONFIG("256MiB");
const EDITED = CONFIG("300MiB");
const SHOP = `${"/sys/fs/cgroup"}/vsc.slice/vsc-tenant.slice/vsc-tenant-shop.slice`;
/**
 * EDITED plus a context pinned to core 3, on a host declared with 4 cpus: the
 * lab's machine has 2, so the kernel refuses cpuset.cpus "3" (and the others'
 * "0-2"), systemd logs why and leaves the value unset, and apply must roll back.
 */
const REFUSED = EDITED.replace("cpus 2\n", "cpus 4\n").concat(
  `context pinned { id 503  cpu { cores "3" } }\n`,
);

function sh(cmd: string, args: string[], timeout = 120_000) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout, killSignal: "SIGKILL" });
  return { code: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}
const vsc = (...args: string[]) => sh("node", ["bin/vsc.js", ...args], 300_000);
const prop = (unit: string, p: string) =>
  sh("systemctl", ["show", "-p", p, "--value", unit]).out.trim();

function requireSystemd() {
  if (process.env.VSC_SYSTEMD_LAB !== "1" || !existsSync("/run/systemd/system"))
    throw new Error(
      "this test runs only in the kernel lab's systemd mode: bash scripts/kernel-lab/run.sh --systemd --boots 2",
    );
}

function irOf(text: string) {
  const { program } = loadProgram("lab.vsc", memoryHost({ "lab.vsc": text }));
  const r = check(program);
  assert.ok(r.ir, JSON.stringify(r.diagnostics));
  return r.ir!;
}

/** Every value vsc wants in every slice, read from the slice's cgroup files. */
function assertValues(text: string) {
  const ir = irOf(text);
  const want = sdDesired(ir);
  const off: string[] = [];
  let n = 0;
  for (const s of want.slices)
    for (const v of s.values) {
      n++;
      let now: string | undefined;
      try {
        now = readFileSync(join(CG, s.cgroupPath, v.file), "utf8").trim();
      } catch {
        now = undefined;
      }
      if (now !== v.value) off.push(`${s.cgroupPath}/${v.file}: ${now} != ${v.value}`);
    }
  assert.equal(off, []);
  assert.ok(n >= 25, `only ${n} values checked`);
  // Spot checks in plain numbers, so a wrong model cannot agree with itself.
  const shop = `${CG}/vsc.slice/vsc-tenant.slice/vsc-tenant-shop.slice`;
  assert.is(readFileSync(`${shop}/cpu.max`, "utf8").trim(), "150000 100000");
  assert.is(readFileSync(`${shop}/memory.high`, "utf8").trim(), String(200 * 1048576));
  assert.is(readFileSync(`${shop}/pids.max`, "utf8").trim(), "300");
  void desiredState;
}

function assertUnitInContext() {
  assert.is(
    prop("lab-web.service", "ControlGroup"),
    "/vsc.slice/vsc-tenant.slice/vsc-tenant-shop.slice/lab-web.service",
  );
  const pid = prop("lab-web.service", "MainPID");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  // net_bind_service (10), setuid (7), setgid (6)
  assert.match(status, /^CapBnd:\s+00000000000004c0$/m);
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  return pid;
}

/** What a restart of the listed unit or of its slice would change. */
function liveness() {
  return {
    pid: prop("lab-web.service", "MainPID"),
    unitSince: prop("lab-web.service", "ActiveEnterTimestampMonotonic"),
    sliceSince: prop("vsc-tenant-shop.slice", "ActiveEnterTimestampMonotonic"),
  };
}

/** vsc's files and links under /etc, path and text. */
function snapshotVscFiles(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const t = readFileSync(p, "utf8");
        if (t.startsWith("# generated by vsc")) out.push([p, t]);
      } else if (e.isSymbolicLink()) {
        // Only vsc's links (to its target or net service), not the host's own.
        const t = readlinkSync(p);
        if (/^\.\.\/vsc[.-]/.test(t)) out.push([p, `-> ${t}`]);
      }
    }
  };
  walk(UNIT_DIR);
  if (existsSync("/etc/vsc")) walk("/etc/vsc");
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function assertNet() {
  const nft = sh("nft", ["list", "table", "inet", "vsc"]);
  assert.is(nft.code, 0, nft.err);
  assert.match(nft.out, '"vsc.slice/vsc-tenant.slice/vsc-tenant-shop.slice"');
  const tc = sh("tc", ["class", "show", "dev", "vsclab0"]);
  assert.match(tc.out, /class htb 1:1f5 /);
  // batch has no link block: no class of its own.
}

function assertForeignUntouched() {
  assert.is(readFileSync(`${CG}/foreign.slice/cpu.weight`, "utf8").trim(), "50");
  assert.is(prop("lab-foreign.service", "ControlGroup"), "/foreign.slice/lab-foreign.service");
  assert.is(readFileSync(`${UNIT_DIR}/foreign.slice`, "utf8"), FOREIGN_SLICE);
}

const FOREIGN_SLICE = "[Slice]\nCPUWeight=50\n";

function setupForeign() {
  writeFileSync(`${UNIT_DIR}/foreign.slice`, FOREIGN_SLICE);
  writeFileSync(
    `${UNIT_DIR}/lab-foreign.service`,
    "[Service]\nSlice=foreign.slice\nExecStart=/bin/sleep infinity\n",
  );
  writeFileSync(`${UNIT_DIR}/lab-web.service`, "[Service]\nExecStart=/bin/sleep infinity\n");
  writeFileSync(
    `${UNIT_DIR}/lab-link.service`,
    "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/sbin/ip link add vsclab0 type dummy\nExecStart=/usr/sbin/ip link set vsclab0 up\n",
  );
  const r = sh("systemctl", ["daemon-reload"]);
  assert.is(r.code, 0, r.err);
  const s = sh("systemctl", [
    "start",
    "lab-link.service",
    "lab-web.service",
    "lab-foreign.service",
  ]);
  assert.is(s.code, 0, s.err);
}

/** What boot 2 starts from: what apply wrote under /etc, and the host's own (stand-in) units. */
function persist() {
  const mine = [
    ...readdirSync(UNIT_DIR).filter(
      (f) => /^(vsc[.-]|lab-|foreign\.slice)/.test(f) && !f.startsWith("vsc-lab."),
    ),
    ...readdirSync(UNIT_DIR).filter((f) => f.endsWith(".wants") || f.endsWith(".service.d")),
  ].map((f) => `${UNIT_DIR}/${f}`);
  mkdirSync(`${OUT}/persist`, { recursive: true });
  const rel = [...new Set(mine), "/etc/vsc"].map((p) => p.slice(1));
  const r = sh("sh", ["-c", 'tar -C / -cf - "$@" | tar -C "$0" -xf -', `${OUT}/persist`, ...rel]);
  assert.is(r.code, 0, r.err);
}

if (BOOT === 1) {
  test("boot 1: apply the config on systemd 252: slices, values, unit moved with its caps", () => {
    requireSystemd();
    setupForeign();
    writeFileSync("/tmp/lab.vsc", FIRST);
    const before = prop("lab-web.service", "MainPID");
    const a = vsc("apply", "/tmp/lab.vsc", "--auto-approve");
    if (a.code !== 0) {
      const why = sh("systemctl", [
        "status",
        "--no-pager",
        "vsc-net.service",
        "sys-subsystem-net-devices-vsclab0.device",
        "systemd-udevd.service",
      ]);
      const journal = sh("journalctl", ["-b", "--no-pager", "-n", "40"]);
      assert.is(a.code, 0, a.out + a.err + why.out + journal.out);
    }
    assert.match(a.out, "! restart lab-web.service");
    assertValues(FIRST);
    const pid = assertUnitInContext();
    assert.is.not(pid, before, "moving the unit restarted it");
    assertNet();
    assertForeignUntouched();
  });

  test("boot 1: a second plan is empty", () => {
    requireSystemd();
    const p = vsc("plan", "/tmp/lab.vsc", "--detailed-exitcode");
    assert.is(p.code, 0, p.out + p.err);
    assert.match(p.out, "No changes.");
  });

  test("boot 1: a one-field edit changes one file and one value, without restarting the unit", () => {
    requireSystemd();
    // Who would notice a restart: the unit's main process and when it (and
    // the slice it runs in) last became active.
    const before = liveness();
    writeFileSync("/tmp/lab.vsc", EDITED);
    const p = vsc("plan", "/tmp/lab.vsc");
    const files = p.out.split("\n").filter((l) => /^\s+[+~-] \//.test(l));
    assert.equal(files, ["  ~ /etc/systemd/system/vsc-tenant-shop.slice"], p.out);
    const values = p.out.split("\n").filter((l) => /^\s+~ \S+\.slice \w+ \(/.test(l));
    assert.equal(
      values,
      [`  ~ vsc-tenant-shop.slice MemoryMax (memory.max): ${256 * 1048576} -> ${300 * 1048576}`],
      p.out,
    );
    assert.not.match(p.out, "! restart");
    const a = vsc("apply", "/tmp/lab.vsc", "--auto-approve");
    assert.is(a.code, 0, a.out + a.err);
    // One daemon-reload applies it (systemd re-realises a loaded slice's
    // changed properties on reload): no restart, no runtime override.
    assert.match(a.err, "1 daemon-reload, 0 restart(s)");
    assert.is(readFileSync(`${SHOP}/memory.max`, "utf8").trim(), String(300 * 1048576));
    assertValues(EDITED);
    assert.equal(liveness(), before, "the unit or its slice was restarted");
    assert.not.ok(
      existsSync("/run/systemd/system.control/vsc-tenant-shop.slice.d"),
      "a runtime set-property override",
    );
    assertForeignUntouched();
  });

  test("boot 1: vsc exec runs the command as a transient unit in the context's slice", () => {
    requireSystemd();
    const r = vsc(
      "exec",
      "--file",
      "/tmp/lab.vsc",
      "shop",
      "--",
      "sh",
      "-c",
      "cat /proc/self/cgroup; grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status",
    );
    assert.is(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      /^0::\/vsc\.slice\/vsc-tenant\.slice\/vsc-tenant-shop\.slice\/vsc-exec-shop-[0-9a-f]{8}\.service$/m,
    );
    assert.match(r.out, /^CapBnd:\s+00000000000004c0$/m);
    assert.match(r.out, /^NoNewPrivs:\s+1$/m);
    // A context without capabilities: the full bounding set, its own slice.
    const b = vsc("exec", "--file", "/tmp/lab.vsc", "batch", "--", "cat", "/proc/self/cgroup");
    assert.is(b.code, 0, b.out + b.err);
    assert.match(
      b.out,
      /^0::\/vsc\.slice\/vsc-tenant\.slice\/vsc-tenant-batch\.slice\/vsc-exec-batch-/m,
    );
  });

  test("boot 1: vsc exec passes the exit status through, and a signal as a shell reports it", async () => {
    requireSystemd();
    const run = (...cmd: string[]) => vsc("exec", "--file", "/tmp/lab.vsc", "shop", "--", ...cmd);
    let r = run("sh", "-c", "exit 7");
    assert.is(r.code, 7, r.out + r.err);
    // What a shell says of a child killed by signal N: 128+N.
    const shell = sh("sh", ["-c", "sh -c 'kill -TERM $$'; echo $?"]).out.trim();
    assert.is(shell, "143");
    r = run("sh", "-c", "kill -TERM $$");
    assert.is(r.code, 143, r.out + r.err);
    r = run("sh", "-c", "kill -KILL $$");
    assert.is(r.code, 137, r.out + r.err);
    r = run("true");
    assert.is(r.code, 0, r.out + r.err);
    // SIGTERM sent to vsc goes to the unit; vsc reports how the command ended.
    const child = spawn(
      "node",
      ["bin/vsc.js", "exec", "--file", "/tmp/lab.vsc", "shop", "--", "sleep", "600"],
      {
        stdio: "ignore",
      },
    );
    const ended = new Promise<number | null>((res) => child.on("close", (c) => res(c)));
    let unit = "";
    for (let i = 0; i < 600 && !unit; i++) {
      const l = sh("systemctl", [
        "list-units",
        "--no-legend",
        "--plain",
        "--state=activating,active",
        "vsc-exec-shop-*",
      ]);
      unit = l.out.trim().split(/\s+/)[0] ?? "";
      if (!unit) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(unit, "the transient unit never showed up");
    child.kill("SIGTERM");
    const code = await ended;
    assert.is(code, 143);
    assert.is(prop(unit, "LoadState"), "not-found", `${unit} left behind`);
  });

  test("boot 1: systemd refusing a value: rollback to the previous units, with systemd's words", () => {
    requireSystemd();
    const before = liveness();
    const files = snapshotVscFiles();
    writeFileSync("/tmp/refused.vsc", REFUSED);
    const a = vsc("apply", "/tmp/refused.vsc", "--auto-approve");
    assert.is(a.code, 1, a.out + a.err);
    assert.match(a.err, "VSC5203");
    assert.match(a.err, "cpuset.cpus");
    // systemd's own message, from the journal.
    assert.match(a.err, /systemd said: .*Failed to set 'cpuset\.cpus' attribute/);
    assert.match(a.err, "restored");
    assert.not.match(a.err, "VSC5209");
    assert.not.match(a.err + a.out, /\n\s+at /); // no stack trace
    // The host as it was: the same files, values, unit; the new slice gone.
    assert.equal(snapshotVscFiles(), files);
    assertValues(EDITED);
    assert.equal(liveness(), before, "the unit or its slice was restarted");
    assert.not.ok(existsSync(`${CG}/vsc.slice/vsc-pinned.slice`));
    assert.is(prop("vsc-pinned.slice", "ActiveState"), "inactive");
    assertNet();
    assertForeignUntouched();
    writeFileSync("/tmp/lab.vsc", EDITED);
    const p = vsc("plan", "/tmp/lab.vsc", "--detailed-exitcode");
    assert.is(p.code, 0, p.out + p.err);
  });

  test("boot 1: driver cgroupfs where systemd is PID 1: plan and apply warn once", () => {
    requireSystemd();
    writeFileSync(
      "/tmp/cgfs.vsc",
      'host lab {\n  cpus 2\n  memory 1GiB\n  cgroup-root "vsclabcgfs"\n}\ncontext a { id 1  pids { limit 50 } }\n',
    );
    const count = (t: string) => t.split("VSC5205").length - 1;
    const p = vsc("plan", "/tmp/cgfs.vsc");
    assert.is(p.code, 0, p.out + p.err);
    assert.is(count(p.err + p.out), 1, p.err);
    assert.match(p.err, "driver systemd");
    const a = vsc("apply", "/tmp/cgfs.vsc", "--auto-approve");
    assert.is(count(a.err + a.out), 1, a.err);
    assert.is(a.code, 0, a.out + a.err);
    const d = vsc("destroy", "/tmp/cgfs.vsc", "--auto-approve");
    assert.is(d.code, 0, d.out + d.err);
    assert.not.ok(existsSync(`${CG}/vsclabcgfs`));
  });

  test("boot 1: save what apply wrote under /etc for boot 2", () => {
    requireSystemd();
    persist();
  });
} else {
  test("boot 2: with only what apply wrote under /etc, everything is back and the plan is empty", () => {
    requireSystemd();
    assertValues(EDITED);
    assertUnitInContext();
    assertNet();
    assertForeignUntouched();
    writeFileSync("/tmp/lab.vsc", EDITED);
    const p = vsc("plan", "/tmp/lab.vsc", "--detailed-exitcode");
    assert.is(p.code, 0, p.out + p.err);
  });

  test("boot 2: destroy leaves no vsc file and the unit back in its own slice", () => {
    requireSystemd();
    const d = vsc("destroy", "/tmp/lab.vsc", "--auto-approve");
    assert.is(d.code, 0, d.out + d.err);
    const left = readdirSync(UNIT_DIR).filter(
      (f) => /^vsc[.-]/.test(f) && !f.startsWith("vsc-lab."),
    );
    assert.equal(left, []);
    assert.not.ok(existsSync(`${UNIT_DIR}/lab-web.service.d/50-vsc.conf`));
    assert.not.ok(existsSync(`${UNIT_DIR}/multi-user.target.wants/vsc.target`));
    assert.not.ok(existsSync("/etc/vsc/ruleset.nft"));
    assert.is(prop("lab-web.service", "ControlGroup"), "/system.slice/lab-web.service");
    assert.is(sh("nft", ["list", "table", "inet", "vsc"]).code, 1);
    assert.not.ok(existsSync(`${CG}/vsc.slice`));
    assertForeignUntouched();
  });

  test("boot 2: a refused apply from empty: a missing unit warned of, nothing left behind", () => {
    requireSystemd();
    const text = REFUSED.replace(
      'units "lab-web.service"',
      'units "lab-web.service", "lab-nosuch.service"',
    );
    writeFileSync("/tmp/refused.vsc", text);
    const p = vsc("plan", "/tmp/refused.vsc");
    assert.is(p.code, 0, p.out + p.err);
    assert.match(p.err, "VSC5202");
    assert.match(p.err, "lab-nosuch.service");
    assert.match(p.out, "+ /etc/systemd/system/lab-nosuch.service.d/50-vsc.conf");
    const a = vsc("apply", "/tmp/refused.vsc", "--auto-approve");
    assert.is(a.code, 1, a.out + a.err);
    assert.match(a.err, "VSC5203");
    assert.match(a.err, /systemd said: .*Failed to set 'cpuset\.cpus' attribute/);
    assert.not.match(a.err, "VSC5209");
    assert.equal(snapshotVscFiles(), []);
    assert.not.ok(existsSync(`${UNIT_DIR}/lab-nosuch.service.d/50-vsc.conf`));
    assert.not.ok(existsSync(`${UNIT_DIR}/lab-web.service.d/50-vsc.conf`));
    assert.not.ok(existsSync(`${CG}/vsc.slice`), "a started slice left behind");
    assert.is(sh("nft", ["list", "table", "inet", "vsc"]).code, 1, "table inet vsc left behind");
    assert.not.match(sh("tc", ["qdisc", "show", "dev", "vsclab0", "root"]).out, "htb");
    assert.is(prop("lab-web.service", "ControlGroup"), "/system.slice/lab-web.service");
    assert.is(prop("lab-web.service", "ActiveState"), "active");
    assertForeignUntouched();
  });
}

test.run();
