/**
 * `--host` through the real CLI (#18): every command that acts on one host
 * (compile, plan, apply, destroy, show --file, exec) stops with VSC9031
 * when a fleet is given without --host, and with VSC9030 (did you mean)
 * when --host names no host of the file set; both before anything on the
 * machine is read or written (the state directory is never created). A
 * one-host file needs no --host; given, it must name that host.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

const vsc = join(packageRoot(), "bin/vsc.js");
const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-cli-host-"));
const fleet = join(dir, "fleet.vsc");
const one = join(dir, "one.vsc");
writeFileSync(
  fleet,
  "host pl1 { cpus 1  memory 1GiB }\nhost pl2 { cpus 1  memory 1GiB }\ncontext w { id 1 }\n",
);
writeFileSync(one, "host solo { cpus 1  memory 1GiB }\ncontext w { id 1 }\n");
const state = join(dir, "state");
const scratch = join(dir, "cg");

function run(args: string[]): { status: number | null; err: string } {
  const r = spawnSync(process.execPath, [vsc, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", VSC_STATE_DIR: state },
  });
  return { status: r.status, err: r.stderr };
}

/** Each command on the fleet, with `host` as extra arguments in the place the command takes them. */
const commands: [string, (host: string[]) => string[], number][] = [
  ["compile", (h) => ["compile", fleet, "-o", join(dir, "out"), ...h], 1],
  ["plan", (h) => ["plan", fleet, "--cgroup-mount", scratch, ...h], 1],
  ["apply", (h) => ["apply", fleet, "--auto-approve", "--cgroup-mount", scratch, ...h], 1],
  ["destroy", (h) => ["destroy", fleet, "--auto-approve", "--cgroup-mount", scratch, ...h], 1],
  ["show", (h) => ["show", "--file", fleet, "--cgroup-mount", scratch, ...h], 1],
  ["exec", (h) => ["exec", "--file", fleet, ...h, "w", "--", "true"], 125],
];

for (const [name, args, exit] of commands) {
  test(`${name}: a fleet without --host is VSC9031; an unknown --host is VSC9030 with a suggestion`, () => {
    const none = run(args([]));
    assert.is(none.status, exit, none.err);
    assert.match(none.err, /error\[VSC9031\]: the file set describes 2 hosts/);
    assert.match(none.err, /its hosts: pl1 and pl2/);
    const unknown = run(args(["--host", "pl3"]));
    assert.is(unknown.status, exit, unknown.err);
    assert.match(unknown.err, /error\[VSC9030\]: --host pl3: the file set has no host "pl3"/);
    assert.match(unknown.err, /did you mean "pl1"\?/);
    assert.not.ok(existsSync(state), "nothing on the machine was touched");
  });
}

test("a one-host file: no --host needed; --host must name its host", () => {
  const plain = run(["compile", one, "--target", "vsc", "-o", "-"]);
  assert.is(plain.status, 0, plain.err);
  assert.is(run(["compile", one, "--host", "solo", "-o", join(dir, "solo")]).status, 0);
  const other = run(["compile", one, "--host", "pl1", "-o", join(dir, "x")]);
  assert.is(other.status, 1);
  assert.match(other.err, /VSC9030/);
  const context = run(["compile", fleet, "--host", "w", "-o", join(dir, "x")]);
  assert.match(context.err, /VSC9030/, "a context's name is not a host");
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
