// Host checks before vsc exec starts anything, against a fake host: each
// refusal (root, cgroup2, applied, tools, namespaces, root dir, command).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CGROUP2_SUPER_MAGIC, type ExecHost } from "../../src/exec/host.js";
import { preflight } from "../../src/exec/preflight.js";
import type { Node } from "../../src/ir/types.gen.js";
import { contextNode, loc } from "./fixtures.js";

/** A host where `files` exist (dirs end in /), tools live in /usr/bin, and cgroup2 is at /cg. */
function fakeHost(over: Partial<ExecHost> = {}, files: string[] = []): ExecHost {
  const all = new Set([
    "/cg/",
    "/cg/vsc/",
    "/cg/vsc/web/",
    "/usr/bin/sh",
    "/usr/bin/prlimit",
    "/usr/bin/unshare",
    "/usr/bin/setpriv",
    "/usr/bin/capsh",
    "/usr/bin/perl",
    "/usr/bin/nginx",
    ...["mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"].map(
      (n) => `/proc/self/ns/${n}`,
    ),
    ...files,
  ]);
  return {
    euid: () => 0,
    fsType: (p) => (p === "/cg" ? CGROUP2_SUPER_MAGIC : all.has(`${p}/`) ? 0xef53 : undefined),
    isDir: (p) => all.has(`${p}/`),
    exists: (p) => all.has(p) || all.has(`${p}/`),
    isExecutable: (p) => all.has(p),
    realpath: (p) => (all.has(`${p}/`) || all.has(p) ? p : undefined),
    capLastCap: () => 40,
    path: () => "/usr/bin:/bin",
    ...over,
  };
}
const opts = { cgroupMount: "/cg", command: ["nginx", "-g", "daemon off;"] };
const codes = (node: Node, h: ExecHost, o = opts) =>
  preflight(node, { cgroupRoot: "vsc" }, o, h).diagnostics.map((d) => d.code);
const web = contextNode("web");

test("a ready host: no diagnostics, tools resolved to absolute paths", () => {
  const r = preflight(web, { cgroupRoot: "vsc" }, opts, fakeHost());
  assert.equal(r.diagnostics, []);
  assert.equal(r.tools, { sh: "/usr/bin/sh", setpriv: "/usr/bin/setpriv" });
});

test("VSC5806: not root", () => {
  assert.equal(codes(web, fakeHost({ euid: () => 1000 })), ["VSC5806"]);
});

test("VSC5804: the mount is not cgroup2 (or does not exist)", () => {
  assert.equal(codes(web, fakeHost({}, ["/tmp/"]), { ...opts, cgroupMount: "/tmp" }), ["VSC5804"]);
  const [d] = preflight(
    web,
    { cgroupRoot: "vsc" },
    { ...opts, cgroupMount: "/nope" },
    fakeHost(),
  ).diagnostics;
  assert.is(d.code, "VSC5804");
  assert.equal(d.notes, ["/nope does not exist"]);
});

test("VSC5803: the context's cgroup does not exist (not applied), pointing at the context", () => {
  const [d] = preflight(contextNode("api"), { cgroupRoot: "vsc" }, opts, fakeHost()).diagnostics;
  assert.is(d.code, "VSC5803");
  assert.is(`${d.span?.line}:${d.span?.col}`, "10:1");
  assert.match(d.message, /\/cg\/vsc\/api does not exist/);
});

test("VSC5805: a missing tool names its package", () => {
  const h = fakeHost();
  const noPerl = {
    ...h,
    isExecutable: (p: string) => p !== "/usr/bin/perl" && h.isExecutable(p),
  };
  const node = contextNode("web", { security: { namespaces: ["pid"] } });
  const [d] = preflight(node, { cgroupRoot: "vsc" }, opts, noPerl).diagnostics;
  assert.is(d.code, "VSC5805");
  assert.match(d.help ?? "", /perl-base/);
});

test("VSC5815: a namespace type the kernel lacks", () => {
  const h = fakeHost();
  const noTime = {
    ...h,
    exists: (p: string) => p !== "/proc/self/ns/time" && h.exists(p),
  };
  const node = contextNode("web", {
    security: { namespaces: ["time"], loc: loc(30, 3) },
  });
  const [d] = preflight(node, { cgroupRoot: "vsc" }, opts, noTime).diagnostics;
  assert.is(d.code, "VSC5815");
  assert.is(`${d.span?.line}:${d.span?.col}`, "30:3");
});

test("VSC5808: the root is missing, or lacks proc for a pid namespace", () => {
  const missing = contextNode("web", {
    security: { namespaces: [], root: "/srv/web", loc: loc(31, 3) },
  });
  const [d] = preflight(missing, { cgroupRoot: "vsc" }, opts, fakeHost()).diagnostics;
  assert.is(d.code, "VSC5808");
  assert.is(`${d.span?.line}:${d.span?.col}`, "31:3");
  const noProc = contextNode("web", {
    security: { namespaces: ["pid"], root: "/srv/web" },
  });
  const files = ["/srv/web/", "/srv/web/usr/bin/nginx"];
  assert.equal(codes(noProc, fakeHost({}, files)), ["VSC5808"]);
  assert.equal(codes(noProc, fakeHost({}, [...files, "/srv/web/proc/"])), []);
});

test("VSC5807: the command is looked up in PATH on the host, or inside the root", () => {
  assert.equal(codes(web, fakeHost(), { ...opts, command: ["nginy"] }), ["VSC5807"]);
  assert.equal(codes(web, fakeHost(), { ...opts, command: ["/usr/bin/nginx"] }), []);
  const rooted = contextNode("web", {
    security: { namespaces: [], root: "/srv/web" },
  });
  // nginx is on the host but not in the root: it would not run there.
  assert.equal(codes(rooted, fakeHost({}, ["/srv/web/"])), ["VSC5807"]);
  const r = preflight(
    rooted,
    { cgroupRoot: "vsc" },
    opts,
    fakeHost({}, ["/srv/web/", "/srv/web/bin/nginx"]),
  );
  assert.equal(r.diagnostics, []);
  assert.is(r.commandPath, "/bin/nginx");
  assert.is(r.root, "/srv/web");
  const rel = preflight(
    rooted,
    { cgroupRoot: "vsc" },
    { ...opts, command: ["./app/run"] },
    fakeHost({}, ["/srv/web/", "/srv/web/app/run"]),
  );
  assert.is(rel.commandPath, "/app/run");
});

test.run();
