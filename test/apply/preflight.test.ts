import { test } from "uvu";
import * as assert from "uvu/assert";
import { rootTest } from "../root.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { preflight, needsOf } from "../../src/apply/preflight.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { makeScratchMount } from "../../src/apply/scratch.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { sampleDesired, scratchNetns } from "./fixture.js";

const needs = (o: Parameters<typeof sampleDesired>[0] = {}) => needsOf(sampleDesired(o));
const codes = (ds: { code: string }[]) => ds.map((d) => d.code);

function mount(controllers?: string[], enabled?: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "vsc-pre-"));
  makeScratchMount(dir, controllers, enabled);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Tools that answer like a healthy host. */
const okTools = (
  k: Kernel,
  over: Partial<Record<string, { status: number; stderr: string; missing?: boolean }>> = {},
): Kernel => ({
  ...k,
  run(tool, args) {
    const key = `${tool} ${args[0]}`;
    const r = over[key];
    return r ? { stdout: "", ...r } : { status: 0, stdout: "", stderr: "" };
  },
});

test("VSC5001: a directory that is not cgroup2 (like this host's v1 tmpfs)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vsc-pre-"));
  const ds = preflight(okTools(hostKernel({ cgroupMount: dir })), needs());
  assert.equal(codes(ds), ["VSC5001"]);
  assert.match(ds[0]!.message, new RegExp(`no cgroup2 filesystem is mounted at ${dir}`));
  assert.ok(ds[0]!.help);
  rmSync(dir, { recursive: true });
});

test("VSC5001 names the v1 layout of /sys/fs/cgroup on a v1 host", () => {
  const ds = preflight(okTools(hostKernel({ cgroupMount: "/sys/fs/cgroup" })), needs());
  if (ds[0]?.code !== "VSC5001") return; // a cgroup2 host: nothing to show here
  assert.match(ds[0].help ?? "", /unified|cgroup2/);
});

test("VSC5002: controller missing from the mount; every missing piece reported at once", () => {
  const m = mount(["cpu"], ["cpu"]);
  const ds = preflight(
    okTools(hostKernel({ cgroupMount: m.dir }), {
      "nft --version": {
        status: -1,
        stderr: "spawn nft ENOENT",
        missing: true,
      },
    }),
    needs(),
  );
  assert.equal(codes(ds), ["VSC5002", "VSC5004"]);
  assert.match(ds[0]!.message, /memory, pids not available/);
  m.cleanup();
});

test("VSC5003: controller available but not enabled above the owned subtree", () => {
  const m = mount(["cpu", "memory", "pids"], ["cpu"]);
  const ds = preflight(okTools(hostKernel({ cgroupMount: m.dir })), needs());
  assert.equal(codes(ds), ["VSC5003"]);
  assert.match(ds[0]!.help ?? "", /echo "\+memory \+pids" > .*cgroup\.subtree_control/);
  m.cleanup();
});

test("VSC5004: tc missing", () => {
  const m = mount();
  const ds = preflight(
    okTools(hostKernel({ cgroupMount: m.dir }), {
      "tc -V": { status: -1, stderr: "", missing: true },
    }),
    needs(),
  );
  assert.equal(codes(ds), ["VSC5004"]);
  assert.match(ds[0]!.message, /^tc /);
  m.cleanup();
});

test("VSC5006: nft cannot check a socket cgroupv2 rule", () => {
  const m = mount();
  const ds = preflight(
    okTools(hostKernel({ cgroupMount: m.dir }), {
      "nft -c": {
        status: 1,
        stderr: "Error: syntax error, unexpected cgroupv2",
      },
    }),
    needs({ nftCgroups: ["vsc/web-tier/web"] }),
  );
  assert.equal(codes(ds), ["VSC5006"]);
  m.cleanup();
});

test("VSC5008: the cgroup above a nested cgroup-root does not exist", () => {
  const m = mount();
  const ds = preflight(
    okTools(hostKernel({ cgroupMount: m.dir })),
    needs({ cgroupRoot: "nope/vsc" }),
  );
  assert.equal(codes(ds), ["VSC5008"]);
  m.cleanup();
});

test("VSC5007: --netns names no namespace", () => {
  const m = mount();
  const ds = preflight(hostKernel({ cgroupMount: m.dir, netns: "vsc-no-such-ns-xyz" }), needs());
  assert.equal(codes(ds), ["VSC5007"]);
  m.cleanup();
});

rootTest("VSC5005: a link missing in the namespace (real tc); a healthy host passes", () => {
  const ns = scratchNetns(["v0"]);
  assert.ok(ns, "ip netns add failed although running as root");
  const m = mount();
  const k = hostKernel({ cgroupMount: m.dir, netns: ns.name });
  const links = [
    { dev: "v0", classes: [] },
    { dev: "eth9", classes: [] },
  ];
  const ds = preflight(k, needs({ links }));
  assert.equal(codes(ds), ["VSC5005"]);
  assert.match(ds[0]!.message, /link eth9 does not exist in network namespace/);
  assert.equal(preflight(k, needs({ links: [links[0]!] })), []);
  ns.cleanup();
  m.cleanup();
});

/** okTools that also records each process it was asked to run ("nft -c", "tc -V", ...). */
function logged(k: Kernel, over: Parameters<typeof okTools>[1] = {}) {
  const calls: string[] = [];
  const t = okTools(k, over);
  return {
    calls,
    kernel: {
      ...t,
      run: (tool, args, input) => (calls.push(`${tool} ${args[0]}`), t.run(tool, args, input)),
    } as Kernel,
  };
}
const netted = () =>
  needs({ links: [{ dev: "v0", classes: [] }], nftCgroups: ["vsc/web-tier/web"] });

test("a healthy host: one process per tool (the checks show that the tools run)", () => {
  const m = mount();
  const l = logged(hostKernel({ cgroupMount: m.dir }));
  assert.equal(preflight(l.kernel, netted()), []);
  assert.equal(l.calls, ["nft -c", "tc -d"]);
  const l2 = logged(hostKernel({ cgroupMount: m.dir }));
  assert.equal(preflight(l2.kernel, needs()), []);
  assert.equal(l2.calls, ["nft --version", "tc -V"]);
  m.cleanup();
});

test("VSC5004, not VSC5006 or VSC5005, when the tool itself is missing or broken", () => {
  const m = mount();
  const missing = { status: -1, stderr: "spawn nft ENOENT", missing: true };
  const a = logged(hostKernel({ cgroupMount: m.dir }), { "nft -c": missing });
  assert.equal(codes(preflight(a.kernel, netted())), ["VSC5004"]);
  assert.equal(a.calls, ["nft -c", "tc -d"], "a missing tool needs no --version");

  const b = logged(hostKernel({ cgroupMount: m.dir }), {
    "nft -c": { status: 1, stderr: "nft: error while loading shared libraries" },
    "nft --version": { status: 127, stderr: "nft: error while loading shared libraries" },
  });
  const ds = preflight(b.kernel, netted());
  assert.equal(codes(ds), ["VSC5004"]);
  assert.equal(ds[0]!.notes, ["nft: error while loading shared libraries"]);
  assert.equal(b.calls, ["nft -c", "tc -d", "nft --version"]);

  const c = logged(hostKernel({ cgroupMount: m.dir }), {
    "tc -d": { status: -1, stderr: "", missing: true },
  });
  const dc = preflight(c.kernel, netted());
  assert.equal(codes(dc), ["VSC5004"]);
  assert.match(dc[0]!.message, /^tc /);
  m.cleanup();
});

test.run();
