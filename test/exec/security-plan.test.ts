// #16, the pure half: the exact argv for capabilities none, identity and the
// filesystem link; hostile paths and names stay single argv elements.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  buildPlan,
  effectiveNamespaces,
  requiredTools,
  validateNode,
  type PlanInput,
} from "../../src/exec/plan.js";
import { preflight } from "../../src/exec/preflight.js";
import { JOIN_SCRIPT, MOUNT_SCRIPT } from "../../src/exec/scripts.js";
import type { ExecHost } from "../../src/exec/host.js";
import type { Node } from "../../src/ir/types.gen.js";
import { contextNode } from "./fixtures.js";

const tools = {
  sh: "/bin/sh",
  unshare: "/usr/bin/unshare",
  setpriv: "/usr/bin/setpriv",
  capsh: "/usr/sbin/capsh",
  perl: "/usr/bin/perl",
  mount: "/usr/bin/mount",
  mknod: "/usr/bin/mknod",
};
const web = (security: Partial<Node["security"]>) =>
  contextNode("web", { security: { namespaces: [], ...security } });
const input = (node: Node, over: Partial<PlanInput> = {}): PlanInput => ({
  node,
  host: { cgroupRoot: "vsc" },
  cgroupMount: "/sys/fs/cgroup",
  command: ["app", "--flag"],
  tools,
  capLastCap: 40,
  ...over,
});
const JOIN = ["/bin/sh", "-c", JOIN_SCRIPT, "vsc-exec"];
const NNP = ["/usr/bin/setpriv", "--no-new-privs", "--inh-caps", "-all", "--ambient-caps", "-all"];

test("capabilities none: an empty bounding set", () => {
  const p = buildPlan(input(web({ capabilities: { mode: "none", names: [] } })));
  assert.equal(p.argv, [...JOIN, ...NNP, "--bounding-set", "-all", "--", "app", "--flag"]);
});

test("identity: reuid/regid and the user's groups at the last link, before exec", () => {
  const p = buildPlan(
    input(web({ user: "www-data" }), { identity: { uid: 33, gid: 33, groups: [33, 44] } }),
  );
  assert.equal(p.argv, [
    ...JOIN,
    ...NNP,
    "--reuid=33",
    "--regid=33",
    "--groups=33,44",
    "--",
    "app",
    "--flag",
  ]);
  const q = buildPlan(
    input(web({ user: "4321" }), { identity: { uid: 4321, gid: 4321, groups: [] } }),
  );
  assert.ok(q.argv.includes("--clear-groups"));
});

test("identity with a root goes to capsh after the chroot", () => {
  const p = buildPlan(
    input(web({ root: "/srv/r", user: "33" }), {
      identity: { uid: 33, gid: 33, groups: [] },
      commandPath: "/bin/app",
    }),
  );
  const i = p.argv.indexOf("--chroot=/srv/r");
  assert.equal(p.argv.slice(i, i + 5), [
    "--chroot=/srv/r",
    "--gid=33",
    "--groups=33",
    "--uid=33",
    "--shell=/bin/app",
  ]);
});

test("filesystem link: mount namespace, then perl MOUNT_SCRIPT, then setpriv", () => {
  const node = web({
    filesystem: { mode: "read-only", writable: ["/var/lib/a b", "/x;rm -rf /"] },
    tmp: "private",
    devices: "private",
  });
  assert.equal(effectiveNamespaces(node), ["mount"]);
  assert.equal(requiredTools(node), ["sh", "unshare", "perl", "mount", "mknod", "setpriv"]);
  const p = buildPlan(input(node));
  assert.equal(p.argv, [
    ...JOIN,
    "/usr/bin/unshare",
    "--mount",
    "--propagation",
    "private",
    "--",
    "/usr/bin/perl",
    "-e",
    MOUNT_SCRIPT,
    "--",
    "/usr/bin/mount",
    "/usr/bin/mknod",
    "/",
    "ro",
    "tmp",
    "dev",
    "/var/lib/a b",
    "/x;rm -rf /",
    "--",
    ...NNP,
    "--",
    "app",
    "--flag",
  ]);
  const only = buildPlan(input(web({ tmp: "private" }))).argv;
  const at = only.indexOf(MOUNT_SCRIPT);
  assert.equal(only.slice(at + 2, at + 9), ["/usr/bin/mount", "-", "/", "-", "tmp", "-", "--"]);
});

test("validateNode refuses hostile user names and relative writable paths (saved plans are untrusted)", () => {
  const codes = (s: Partial<Node["security"]>) => validateNode(web(s)).map((d) => d.code);
  assert.equal(codes({ user: "-rf" }), ["VSC5820"]);
  assert.equal(codes({ group: "a b" }), ["VSC5821"]);
  assert.equal(codes({ filesystem: { mode: "read-only", writable: ["rel/path"] } }), ["VSC5822"]);
  assert.equal(codes({ user: "www-data", group: "33" }), []);
});

const fakeHost = (accounts: Record<string, string[]>, exists: string[] = []): ExecHost => ({
  euid: () => 0,
  fsType: () => 0x63677270,
  isDir: () => true,
  exists: (p) => exists.includes(p),
  isExecutable: (p) => p.startsWith("/usr/bin/") || p.startsWith("/bin/"),
  realpath: (p) => p,
  capLastCap: () => 40,
  path: () => "/usr/bin:/bin",
  getent: (db, key) => accounts[`${db}:${key}`],
});

test("preflight resolves user and group on the host; missing ones are refused", () => {
  const h = fakeHost({
    "passwd:www-data": ["www-data", "x", "33", "33", "", "/var/www", "/bin/false"],
    "initgroups:www-data": ["www-data", "33", "44"],
    "group:staff": ["staff", "x", "50", ""],
  });
  const opts = { cgroupMount: "/sys/fs/cgroup", command: ["true"] };
  const host = { cgroupRoot: "vsc" };
  assert.equal(preflight(web({ user: "www-data" }), host, opts, h).identity, {
    uid: 33,
    gid: 33,
    groups: [33, 44],
  });
  assert.equal(preflight(web({ user: "www-data", group: "staff" }), host, opts, h).identity, {
    uid: 33,
    gid: 50,
    groups: [33, 44, 50],
  });
  assert.equal(preflight(web({ group: "staff" }), host, opts, h).identity, {
    uid: 0,
    gid: 50,
    groups: [],
  });
  const miss = preflight(web({ user: "ghost" }), host, opts, h);
  assert.equal(
    miss.diagnostics.map((d) => d.code),
    ["VSC5820"],
  );
  const nog = preflight(web({ group: "ghosts" }), host, opts, h);
  assert.equal(
    nog.diagnostics.map((d) => d.code),
    ["VSC5821"],
  );
  const w = preflight(
    web({ filesystem: { mode: "read-only", writable: ["/var/lib/app", "/srv/ok"] } }),
    host,
    opts,
    fakeHost({}, ["/srv/ok", "/proc/self/ns/mnt"]),
  );
  assert.equal(
    w.diagnostics.map((d) => `${d.code} ${d.message}`),
    ["VSC5822 writable path /var/lib/app does not exist"],
  );
});

test.run();
