// vsc exec for real on this machine (root, a cgroup2 mount): the command runs
// in the context's cgroup, with its rlimits, bounding set, no_new_privs,
// namespaces and root; exit status, stdin and signals pass through; the
// refusals name the problem.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isRoot, rootTest } from "../root.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Node } from "../../src/ir/types.gen.js";
import { contextNode, irOf } from "./fixtures.js";
import { cgroup2Mount, requireRealExec, scratchCgroups, tinyRoot, vscExec } from "./harness.js";

const mount = cgroup2Mount() ?? "/sys/fs/cgroup";
const cgRoot = `vsc-exec-test-${process.pid}`;
let cleanup = () => {};
const scratch = mkdtempSync(join(tmpdir(), "vsc-exec-"));
const web = (over: Partial<Node> = {}) => contextNode("web", { parent: "tier", ...over });
const run = (node: Node, command: string[], opts: Parameters<typeof vscExec>[2] = {}) =>
  vscExec(irOf([node], cgRoot), { context: "web", command, cgroupMount: mount }, opts);
const sh = (script: string, ...rest: string[]) => ["sh", "-c", script, "sh", ...rest];

// Every test here runs vsc exec for real: without root they are reported as
// skipped (rootTest); as root without a cgroup2 mount, requireRealExec fails them.
test.before(() => {
  if (!isRoot()) return;
  requireRealExec();
  cleanup = scratchCgroups(mount, cgRoot, ["tier/web"]);
});

test.after(() => {
  cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

rootTest("cgroup: the command and its children are in the context's cgroup", async () => {
  const r = await run(web(), sh("cat /proc/self/cgroup; sh -c 'cat /proc/self/cgroup'"));
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("0::"));
  assert.equal(lines, [`0::/${cgRoot}/tier/web`, `0::/${cgRoot}/tier/web`]);
});

rootTest("rlimits: soft and hard values as configured", async () => {
  const node = web({
    rlimits: [
      { name: "memlock", soft: 32768, hard: 65536 },
      { name: "nofile", soft: 100, hard: 200 },
    ],
  });
  const r = await run(node, sh("echo $(ulimit -Sl) $(ulimit -Hl) $(ulimit -Sn) $(ulimit -Hn)"));
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "32 64 100 200\n");
});

rootTest("capabilities keep: CapBnd is exactly the kept set, no_new_privs is on", async () => {
  const node = web({
    security: { namespaces: [], capabilities: { mode: "keep", names: ["chown", "setuid"] } },
  });
  const r = await run(node, [
    "grep",
    "-E",
    "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)",
    "/proc/self/status",
  ]);
  assert.is(r.code, 0, r.stderr);
  const f = Object.fromEntries(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/:\s+/)),
  );
  assert.equal(f, {
    CapInh: "0000000000000000",
    CapPrm: "0000000000000081",
    CapEff: "0000000000000081",
    CapBnd: "0000000000000081",
    CapAmb: "0000000000000000",
    NoNewPrivs: "1",
  });
});

rootTest(
  "capabilities: chown and binding port 80 fail without their capability, work with it",
  async () => {
    const file = join(scratch, "owned");
    writeFileSync(file, "");
    const bind80 = [
      "perl",
      "-MSocket",
      "-e",
      'socket(my $s, PF_INET, SOCK_STREAM, 0) or die; bind($s, sockaddr_in(80, INADDR_ANY)) or die "bind: $!\\n"; print "bound\\n"',
    ];
    const keep = (names: string[]) =>
      web({ security: { namespaces: ["net"], capabilities: { mode: "keep", names } } });
    const noChown = await run(keep(["setuid"]), ["chown", "1", file]);
    assert.is(noChown.code, 1);
    assert.match(noChown.stderr, /Operation not permitted/);
    assert.is(
      (await run(keep(["chown"]), ["chown", "1", file])).code,
      0,
      "control: chown with cap_chown",
    );
    const noBind = await run(keep(["chown"]), bind80);
    assert.is(noBind.code, 13); // perl's die exit status is errno: EACCES
    assert.match(noBind.stderr, /bind: Permission denied/);
    const drop = web({
      security: { namespaces: ["net"], capabilities: { mode: "drop", names: ["chown"] } },
    });
    assert.is((await run(drop, bind80)).stdout, "bound\n", "control: bind with net_bind_service");
    assert.match((await run(drop, ["chown", "0", file])).stderr, /Operation not permitted/);
  },
);

rootTest("uts + pid: own hostname, and the command sees only its own processes", async () => {
  const node = web({ security: { namespaces: ["ipc", "pid", "uts"], hostname: "web.example" } });
  const r = await run(
    node,
    sh("hostname; echo $$; ls /proc | grep -c '^[0-9]'; ps -e --no-headers | wc -l"),
  );
  assert.is(r.code, 0, r.stderr);
  const [name, pid, procs, ps] = r.stdout.trim().split("\n");
  assert.is(name, "web.example");
  assert.is(pid, "2", "PID 1 is vsc's init, the command is 2");
  // init, sh, ls (and grep/ps/wc of the pipelines): a handful, never the host's hundreds.
  assert.ok(Number(procs) <= 5 && Number(ps) <= 6, `saw ${procs} / ${ps} processes`);
  assert.is(
    hostname(),
    spawnSync("hostname", { encoding: "utf8" }).stdout.trim(),
    "host name untouched",
  );
  assert.is.not(hostname(), "web.example");
});

rootTest(
  "root: host files unreachable; the chroot escape fails (and works without vsc)",
  async () => {
    const root = tinyRoot(join(scratch, "root"));
    const marker = join(scratch, "outside-marker");
    writeFileSync(marker, "host secret");
    // The classic escape: chroot into a subdirectory without chdir, climb .., chroot(".").
    // (a script file: perl -e needs /dev/null, which the tiny root lacks)
    writeFileSync(
      join(root, "escape.pl"),
      'mkdir "/e"; chroot "/e" or do { print "chroot: $!\\n"; exit 3 };\n' +
        'chdir ".." for 1..64; chroot "."; print -e $ARGV[0] ? "ESCAPED\\n" : "contained\\n";\n',
    );
    const escape = ["/usr/bin/perl", "/escape.pl", marker];
    const control = spawnSync("chroot", [root, ...escape], {
      encoding: "utf8",
      env: { ...process.env, PERL_BADLANG: "0" },
    });
    assert.is(control.stdout, "ESCAPED\n", `control: plain chroot is escapable: ${control.stderr}`);

    const node = web({ security: { namespaces: ["pid"], root } });
    const r = await run(
      node,
      sh(
        `ls /; cat ${marker} || echo unreachable; test -e /proc/1/root${marker} && echo LEAK || echo init-confined`,
      ),
    );
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n"), [
      "bin",
      "e",
      "escape.pl",
      "lib",
      "lib64",
      "proc",
      "usr",
      "unreachable",
      "init-confined",
    ]);
    assert.match(r.stderr, /warning\[VSC5814\]/); // no capabilities block: the root keeps sys_admin etc.
    const e = await run(node, escape);
    assert.is(e.stdout, "chroot: Operation not permitted\n");
    assert.is(e.code, 3);
  },
);

rootTest("exit status passes through; a signal death is 128+N", async () => {
  assert.is((await run(web(), sh("exit 7"))).code, 7);
  assert.is((await run(web(), sh("kill -TERM $$"))).code, 143);
  const pid = web({ security: { namespaces: ["pid"] } });
  assert.is((await run(pid, sh("exit 9"))).code, 9);
  assert.is((await run(pid, sh("kill -KILL $$"))).code, 137);
});

rootTest("stdin is the command's", async () => {
  assert.is((await run(web(), ["cat"], { input: "hello\n" })).stdout, "hello\n");
  const pid = web({ security: { namespaces: ["pid"] } });
  assert.is((await run(pid, ["cat"], { input: "hi there\n" })).stdout, "hi there\n");
});

rootTest("signals sent to vsc reach the command (with and without a PID namespace)", async () => {
  const trapper = sh('trap "echo got-$1; exit 42" $1; echo ready; while :; do sleep 0.05; done');
  for (const node of [web(), web({ security: { namespaces: ["pid"] } })]) {
    for (const [sig, name] of [
      ["SIGTERM", "TERM"],
      ["SIGINT", "INT"],
      ["SIGHUP", "HUP"],
    ] as const) {
      const r = await run(node, [...trapper, name], { signal: sig, when: /ready/ });
      assert.is(
        r.stdout,
        `ready\ngot-${name}\n`,
        `${sig} ${node.security.namespaces}: ${r.stderr}`,
      );
      assert.is(r.code, 42);
    }
  }
  // As PID 1 a plain `sleep` would ignore SIGTERM; vsc's init forwards it and reports 143.
  const pid = web({ security: { namespaces: ["pid"] } });
  const s = await run(pid, sh("echo ready; exec sleep 30"), { signal: "SIGTERM", when: /ready/ });
  assert.is(s.code, 143);
});

rootTest("refusals on the real host: not applied (VSC5803), not cgroup2 (VSC5804)", async () => {
  const api = contextNode("api");
  const r = await vscExec(irOf([api], cgRoot), {
    context: "api",
    command: ["true"],
    cgroupMount: mount,
  });
  assert.is(r.code, 125);
  assert.match(r.stderr, /error\[VSC5803\]: context "api" is not applied/);
  const t = await vscExec(irOf([api], cgRoot), {
    context: "api",
    command: ["true"],
    cgroupMount: scratch,
  });
  assert.is(t.code, 125);
  assert.match(t.stderr, /error\[VSC5804\]/);
});

test.run();
