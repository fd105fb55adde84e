/**
 * The systemd driver on a real systemd 252 as PID 1 (the kernel lab's
 * systemd mode: `bash scripts/kernel-lab/run.sh --systemd --boots 2`, or
 * `npm run test:systemd-lab`). Boot 1: apply, values in the slices' cgroup
 * files, a listed unit in its slice with the bounding set and NoNewPrivs,
 * an empty second plan, a one-field edit without a restart, foreign slice
 * and unit untouched; then what apply wrote under /etc (and the lab's own
 * stand-in units) is saved for boot 2. Boot 2: everything back with no vsc
 * process having run, an empty plan, then destroy.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
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
    const pid = prop("lab-web.service", "MainPID");
    writeFileSync("/tmp/lab.vsc", EDITED);
    const p = vsc("plan", "/tmp/lab.vsc");
    const files = p.out.split("\n").filter((l) => /^\s+[+~-] \//.test(l));
    assert.equal(files, ["  ~ /etc/systemd/system/vsc-tenant-shop.slice"], p.out);
    assert.match(p.out, `MemoryMax (memory.max): ${256 * 1048576} -> ${300 * 1048576}`);
    const a = vsc("apply", "/tmp/lab.vsc", "--auto-approve");
    assert.is(a.code, 0, a.out + a.err);
    assertValues(EDITED);
    assert.is(prop("lab-web.service", "MainPID"), pid, "the unit was restarted");
    assertForeignUntouched();
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
}

test.run();
