// vsc exec on a real cgroup v2 kernel (the lab): the context's controller
// limits apply to the command from its first instruction, and the kernel's
// refusal to put a process in an inner cgroup is reported, not ignored.
import * as assert from "uvu/assert";
import { contextNode, irOf } from "../exec/fixtures.js";
import { vscExec } from "../exec/harness.js";
import {
  LAB_CGROUP_MOUNT,
  labSuite,
  makeCgroup,
  readCgroup,
  removeCgroup,
  writeCgroup,
} from "./lab.js";

const test = labSuite("vsc exec in the kernel lab");
const root = "vsc-exec-lab";

test.after(() => removeCgroup(root));

test("memory.max and pids.max of the context bind the command", async () => {
  makeCgroup(`${root}/web`, ["memory", "pids"]);
  writeCgroup(`${root}/web`, "memory.max", String(32 << 20));
  writeCgroup(`${root}/web`, "memory.swap.max", "0");
  writeCgroup(`${root}/web`, "pids.max", "4");
  const ir = irOf([contextNode("web")], root);
  const args = { context: "web", cgroupMount: LAB_CGROUP_MOUNT };
  // Under software emulation a node start-up takes seconds: be generous.
  const slow = { timeoutMs: 180_000 };

  const where = await vscExec(ir, { ...args, command: ["cat", "/proc/self/cgroup"] }, slow);
  assert.is(where.stdout, `0::/${root}/web\n`, where.stderr);

  // 64 MiB in a 32 MiB context: the OOM killer ends it (SIGKILL -> 137).
  const hog = await vscExec(
    ir,
    {
      ...args,
      command: ["perl", "-e", '$x = "a" x (64 << 20); print "survived\\n"'],
    },
    slow,
  );
  assert.is(hog.code, 137, hog.stdout + hog.stderr);
  const events = readCgroup(`${root}/web`, "memory.events");
  assert.match(events, /oom_kill [1-9]/);

  // 4 tasks at most: the shell plus 3 sleeps fit, the 4th fork fails (and dash
  // gives up: a failed fork is fatal to a non-interactive shell).
  const forks = await vscExec(
    ir,
    {
      ...args,
      command: ["sh", "-c", "for i in 1 2 3 4 5; do sleep 1 & done; wait; echo all-forked"],
    },
    slow,
  );
  assert.not.match(forks.stdout, /all-forked/);
  assert.match(readCgroup(`${root}/web`, "pids.events"), /max [1-9]/, forks.stderr);
});

test("a class with controllers enabled below it refuses processes: VSC5809, command not run", async () => {
  makeCgroup(`${root}/tier/api`, ["memory"]);
  // the IR says context, the kernel says inner node: the write gets EBUSY
  const ir = irOf([contextNode("tier")], root);
  const r = await vscExec(
    ir,
    {
      context: "tier",
      cgroupMount: LAB_CGROUP_MOUNT,
      command: ["echo", "ran"],
    },
    { timeoutMs: 180_000 },
  );
  assert.is(r.code, 125);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /error\[VSC5809\].*(EBUSY|busy)/i);
});

test.run();
