// The pure half of vsc exec: context selection, validation codes, and the
// exact argv of the chain for each kind of context.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  buildPlan,
  effectiveNamespaces,
  requiredTools,
  selectContext,
  validateNode,
  type PlanInput,
} from "../../src/exec/plan.js";
import { HOSTNAME_SCRIPT, INIT_SCRIPT, JOIN_SCRIPT } from "../../src/exec/scripts.js";
import { CAPABILITIES } from "../../src/exec/caps.js";
import type { Node } from "../../src/ir/types.gen.js";
import { classNode, contextNode, irOf, loc } from "./fixtures.js";
import { InternalError } from "../../src/diag/internal-error.js";

const tools = {
  sh: "/bin/sh",
  prlimit: "/usr/bin/prlimit",
  unshare: "/usr/bin/unshare",
  setpriv: "/usr/bin/setpriv",
  capsh: "/usr/sbin/capsh",
  perl: "/usr/bin/perl",
};
const input = (node: Node, over: Partial<PlanInput> = {}): PlanInput => ({
  node,
  host: { cgroupRoot: "vsc" },
  cgroupMount: "/sys/fs/cgroup",
  command: ["nginx", "-g", "daemon off;"],
  tools,
  capLastCap: 40,
  ...over,
});
const JOIN = ["/bin/sh", "-c", JOIN_SCRIPT, "vsc-exec"];
const NNP = ["/usr/bin/setpriv", "--no-new-privs", "--inh-caps", "-all", "--ambient-caps", "-all"];

test("VSC5801: an unknown context suggests the closest context name", () => {
  const ir = irOf([
    classNode("web-tier"),
    contextNode("web", { parent: "web-tier" }),
    contextNode("batch"),
  ]);
  const r = selectContext(ir, "wbe");
  assert.is(r.node, undefined);
  assert.is(r.diagnostics[0].code, "VSC5801");
  assert.is(r.diagnostics[0].message, 'unknown context "wbe"');
  assert.is(r.diagnostics[0].help, 'did you mean "web"?');
  assert.not.match(selectContext(ir, "zzzzzz").diagnostics[0].help ?? "", /did you mean/);
});

test("VSC5802: a class is refused at its declaration, naming its contexts", () => {
  const ir = irOf([classNode("web-tier"), contextNode("web", { parent: "web-tier" })]);
  const d = selectContext(ir, "web-tier").diagnostics[0];
  assert.is(d.code, "VSC5802");
  assert.is(`${d.span?.line}:${d.span?.col}`, "5:1");
  assert.match(d.help ?? "", /web$/);
  assert.is(selectContext(ir, "web").node?.path, "web-tier/web");
});

test("implied namespaces: hostname brings uts, pid brings mount (for its /proc)", () => {
  const n = contextNode("a", {
    security: { namespaces: ["pid"], hostname: "a" },
  });
  assert.equal(effectiveNamespaces(n), ["mount", "uts", "pid"]);
  assert.equal(effectiveNamespaces(contextNode("b")), []);
  assert.equal(requiredTools(n), ["sh", "unshare", "perl", "setpriv"]);
  const r = contextNode("c", {
    rlimits: [{ name: "nofile", soft: 1, hard: 1 }],
    security: { namespaces: [], root: "/srv/c" },
  });
  assert.equal(requiredTools(r), ["sh", "prlimit", "capsh"]);
});

test("VSC5810: bad rlimit values and soft above hard, at the rlimit's line:col", () => {
  const n = contextNode("a", {
    rlimits: [
      { name: "nofile", soft: 8192, hard: 4096, loc: loc(12, 5) },
      { name: "memlock", soft: -1, hard: 10, loc: loc(13, 5) },
      { name: "core", soft: "unlimited", hard: 5, loc: loc(14, 5) },
      { name: "stack", soft: 5, hard: "unlimited", loc: loc(15, 5) },
    ],
  });
  const ds = validateNode(n);
  assert.equal(
    ds.map((d) => `${d.code} ${d.span?.line}:${d.span?.col}`),
    ["VSC5810 12:5", "VSC5810 13:5", "VSC5810 14:5"],
  );
  assert.match(ds[0].message, /soft limit 8192 is above the hard limit 4096/);
});

test("VSC5811: an unknown capability, with a suggestion", () => {
  const n = contextNode("a", {
    security: {
      namespaces: [],
      capabilities: { mode: "keep", names: ["chown", "net_bind_servce"] },
      loc: loc(20, 3),
    },
  });
  const [d] = validateNode(n);
  assert.is(d.code, "VSC5811");
  assert.is(`${d.span?.line}:${d.span?.col}`, "20:3");
  assert.is(d.help, 'did you mean "net_bind_service"?');
});

test("VSC5812: hostnames that are not host names are refused", () => {
  for (const h of ["", "a b", "$(reboot)", "-x", "x".repeat(65), "a..b", "bad_name"]) {
    const ds = validateNode(
      contextNode("a", {
        security: { namespaces: [], hostname: h, loc: loc(21, 3) },
      }),
    );
    assert.is(ds[0]?.code, "VSC5812", h);
    assert.is(`${ds[0].span?.line}:${ds[0].span?.col}`, "21:3");
  }
  assert.equal(
    validateNode(
      contextNode("a", {
        security: { namespaces: [], hostname: "web-1.example" },
      }),
    ),
    [],
  );
});

test("VSC5808: a relative root is refused", () => {
  const ds = validateNode(
    contextNode("a", {
      security: {
        namespaces: [],
        root: "srv/a",
        capabilities: { mode: "keep", names: [] },
        loc: loc(22, 3),
      },
    }),
  );
  assert.equal(
    ds.map((d) => `${d.code} ${d.span?.line}:${d.span?.col}`),
    ["VSC5808 22:3"],
  );
});

test("VSC5813: root with sys_chroot kept is an error; VSC5814 warns about root-breaking caps", () => {
  const keepChroot = contextNode("a", {
    security: {
      namespaces: [],
      root: "/srv/a",
      capabilities: { mode: "keep", names: ["chown", "sys_chroot"] },
      loc: loc(23, 3),
    },
  });
  assert.equal(
    validateNode(keepChroot).map((d) => `${d.code} ${d.severity} ${d.span?.line}:${d.span?.col}`),
    ["VSC5813 error 23:3"],
  );
  const noCaps = contextNode("b", {
    security: { namespaces: [], root: "/srv/b", loc: loc(24, 3) },
  });
  const [w] = validateNode(noCaps);
  assert.is(w.code, "VSC5814");
  assert.is(w.severity, "warning");
  assert.is(`${w.span?.line}:${w.span?.col}`, "24:3");
  assert.match(w.message, /dac_read_search, mknod, sys_admin, sys_module, sys_ptrace, sys_rawio/);
  const dropSome = contextNode("c", {
    security: {
      namespaces: [],
      root: "/srv/c",
      capabilities: { mode: "drop", names: ["sys_admin", "mknod"] },
    },
  });
  assert.match(
    validateNode(dropSome)[0].message,
    /keeps dac_read_search, sys_module, sys_ptrace, sys_rawio$/,
  );
  const tight = contextNode("d", {
    security: {
      namespaces: [],
      root: "/srv/d",
      capabilities: { mode: "keep", names: ["chown"] },
    },
  });
  assert.equal(validateNode(tight), []);
});

test("plan: a bare context is the cgroup handshake plus no_new_privs, command unchanged", () => {
  const p = buildPlan(input(contextNode("web", { parent: "web-tier" })));
  assert.is(p.cgroupDir, "/sys/fs/cgroup/vsc/web-tier/web");
  assert.is(p.pidNamespace, false);
  assert.equal(p.argv, [...JOIN, ...NNP, "--", "nginx", "-g", "daemon off;"]);
});

test("plan: rlimits become one prlimit with soft:hard per resource", () => {
  const n = contextNode("web", {
    rlimits: [
      { name: "memlock", soft: 65536, hard: 65536 },
      { name: "nofile", soft: 1024, hard: "unlimited" },
    ],
  });
  assert.equal(buildPlan(input(n)).argv.slice(4, 8), [
    "/usr/bin/prlimit",
    "--memlock=65536:65536",
    "--nofile=1024:unlimited",
    "--",
  ]);
});

test("plan: capabilities keep -> -all,+kept; drop -> -dropped", () => {
  const keep = contextNode("a", {
    security: {
      namespaces: [],
      capabilities: { mode: "keep", names: ["chown", "setuid"] },
    },
  });
  assert.equal(buildPlan(input(keep)).argv.slice(4), [
    ...NNP,
    "--bounding-set",
    "-all,+chown,+setuid",
    "--",
    "nginx",
    "-g",
    "daemon off;",
  ]);
  const none = contextNode("b", {
    security: { namespaces: [], capabilities: { mode: "keep", names: [] } },
  });
  assert.ok(buildPlan(input(none)).argv.includes("-all"));
  assert.equal(buildPlan(input(none)).argv.slice(-6, -4), ["--bounding-set", "-all"]);
  const drop = contextNode("c", {
    security: {
      namespaces: [],
      capabilities: { mode: "drop", names: ["net_raw", "sys_admin"] },
    },
  });
  assert.equal(buildPlan(input(drop)).argv.slice(-7, -4), [
    "-all",
    "--bounding-set",
    "-net_raw,-sys_admin",
  ]);
});

test("plan: namespaces, hostname step and the PID-namespace init, in chain order", () => {
  const n = contextNode("web", {
    security: {
      namespaces: ["ipc", "net", "pid", "uts"],
      hostname: "web.example",
    },
  });
  const p = buildPlan(input(n));
  assert.is(p.pidNamespace, true);
  assert.equal(p.argv.slice(4), [
    "/usr/bin/unshare",
    "--mount",
    "--propagation",
    "private",
    "--uts",
    "--ipc",
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--",
    "/bin/sh",
    "-c",
    HOSTNAME_SCRIPT,
    "vsc-hostname",
    "web.example",
    "/usr/bin/perl",
    "-e",
    INIT_SCRIPT,
    "--",
    "",
    ...NNP,
    "--",
    "nginx",
    "-g",
    "daemon off;",
  ]);
  const u = buildPlan(
    input(
      contextNode("u", {
        security: { namespaces: ["cgroup", "time", "user"] },
      }),
    ),
  );
  assert.equal(u.argv.slice(4, 11), [
    "/usr/bin/unshare",
    "--user",
    "--map-root-user",
    "--cgroup",
    "--time",
    "--",
    NNP[0],
  ]);
});

test("plan: root -> capsh chroots and drops everything not kept, always sys_chroot, in one process", () => {
  const n = contextNode("web", {
    security: {
      namespaces: ["pid"],
      root: "/srv/web",
      capabilities: { mode: "keep", names: ["chown", "net_bind_service"] },
    },
  });
  const p = buildPlan(
    input(n, {
      command: ["sh", "-c", "echo hi"],
      commandPath: "/bin/sh",
      capLastCap: 42,
    }),
  );
  const i = p.argv.indexOf("/usr/sbin/capsh");
  assert.ok(p.argv.includes("--mount-proc=/srv/web/proc"));
  assert.equal(p.argv.slice(p.argv.indexOf(INIT_SCRIPT) + 1, i), ["--", "/srv/web"]);
  const drop = p.argv[i + 3];
  assert.equal(p.argv.slice(i + 1, i + 3), ["--inh=", "--noamb"]);
  assert.equal(p.argv.slice(i + 4), [
    "--no-new-privs",
    "--chroot=/srv/web",
    "--shell=/bin/sh",
    "--",
    "-c",
    "echo hi",
  ]);
  const dropped = drop.replace(/^--drop=/, "").split(",");
  assert.ok(dropped.includes("cap_sys_chroot"));
  assert.ok(dropped.includes("cap_sys_admin"));
  assert.not.ok(dropped.includes("cap_chown"));
  assert.not.ok(dropped.includes("cap_net_bind_service"));
  // 43 capabilities on this (future) kernel, 2 kept: the 2 unknown ones go by number.
  assert.is(dropped.length, 41);
  assert.equal(dropped.slice(-2), ["41", "42"]);
  // No capabilities block: only sys_chroot goes.
  const bare = contextNode("b", {
    security: { namespaces: [], root: "/srv/b" },
  });
  const pb = buildPlan(input(bare, { commandPath: "/x" }));
  assert.ok(pb.argv.includes("--drop=cap_sys_chroot"));
  assert.is(CAPABILITIES[18], "sys_chroot");
});

test("injection: config values are whole argv elements; the scripts never change", () => {
  const evil = '$(touch /tmp/pwned) `id` "; rm -rf / #';
  const n = contextNode("web", {
    security: { namespaces: ["pid"], hostname: "web", root: `/srv/${evil}` },
    rlimits: [{ name: "nofile", soft: 10, hard: 10 }],
  });
  const p = buildPlan(input(n, { command: [evil, evil], commandPath: `/bin/${evil}` }));
  for (const script of [JOIN_SCRIPT, HOSTNAME_SCRIPT, INIT_SCRIPT])
    assert.not.ok(script.includes("pwned"));
  const scripts = p.argv.filter((a, i) => p.argv[i - 1] === "-c" || p.argv[i - 1] === "-e");
  assert.equal(scripts, [JOIN_SCRIPT, HOSTNAME_SCRIPT, INIT_SCRIPT]);
  assert.ok(p.argv.includes(`--chroot=/srv/${evil}`));
  assert.ok(p.argv.includes(`--shell=/bin/${evil}`));
  assert.is(p.argv[p.argv.length - 1], evil);
});

test("a cgroup path that escaped the checker is a bug, not a path", () => {
  const bug = (e: unknown) => e instanceof InternalError && /escaped the checker/.test(e.message);
  assert.throws(() => buildPlan(input(contextNode("x", { path: "../../etc" }))), bug);
  assert.throws(
    () => buildPlan({ ...input(contextNode("x")), host: { cgroupRoot: "a/../b" } }),
    bug,
  );
});

test.run();
