/** language-v2 §4/§5 (#16): what the checker builds into the IR for the new forms. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HOST, checkText } from "./helpers.js";
import { emitArtifacts } from "../../src/emit/index.js";

const ir = (body: string) => {
  const r = checkText(`${HOST}context a { id 1\n  ${body}\n}\n`);
  assert.equal(
    r.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  return r.ir!.nodes.find((n) => n.name === "a")!;
};

test("capabilities none is an empty bounding set", () => {
  assert.equal(ir("security { capabilities none }").security.capabilities, {
    mode: "none",
    names: [],
  });
});

test("capabilities none does not swallow the next statement", () => {
  const n = ir('security { capabilities none\n user "www-data"  tmp private }');
  assert.is(n.security.user, "www-data");
  assert.is(n.security.tmp, "private");
});

test("keep without names suggests none, at its line", () => {
  const r = checkText(`${HOST}context a { id 1\n  security { capabilities keep\n  user "x" }\n}\n`);
  const d = r.diagnostics.find((d) => d.code === "VSC3007")!;
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.is(d.span!.line, 8);
  assert.match(d.help!, /capabilities none/);
});

test("drop all points to none", () => {
  const r = checkText(`${HOST}context a { id 1  security { capabilities drop all } }\n`);
  assert.match(r.diagnostics.find((d) => d.code === "VSC2028")!.help!, /capabilities none/);
});

test("user and group: names and numeric ids, as written", () => {
  const n = ir('security { user 33  group "www-data" }');
  assert.is(n.security.user, "33");
  assert.is(n.security.group, "www-data");
  assert.is(ir('security { user "_apt" }').security.user, "_apt");
});

test("filesystem read-only with writable paths, normalised, sorted, unique", () => {
  const n = ir('security { filesystem read-only  writable "/var/lib/app/", "/run//x", "/run/x" }');
  assert.equal(n.security.filesystem, { mode: "read-only", writable: ["/run/x", "/var/lib/app"] });
  assert.equal(ir("security { filesystem read-only }").security.filesystem, {
    mode: "read-only",
    writable: [],
  });
});

test("writable / and .. parts are refused", () => {
  for (const p of ['"/"', '"/a/../b"', '"a"'])
    assert.ok(
      checkText(
        `${HOST}context a { id 1  security { filesystem read-only  writable ${p} } }\n`,
      ).diagnostics.some((d) => d.code === "VSC3020"),
      p,
    );
});

test("tmp and devices private", () => {
  const n = ir("security { tmp private  devices private }");
  assert.is(n.security.tmp, "private");
  assert.is(n.security.devices, "private");
});

test("memory % of the host block's memory, in bytes", () => {
  const m = ir("memory { reserve 10%  low 12.5%  high 40%  limit 50% }").memory;
  const G8 = 8 * 1024 ** 3;
  assert.equal(
    [m.reserve, m.low, m.high, m.limit],
    [Math.floor(G8 / 10), G8 / 8, Math.floor((G8 * 4) / 10), G8 / 2],
  );
});

test("memory % counts in admission (bytes)", () => {
  const r = checkText(
    `${HOST}context a { id 1  memory { reserve 60% } }\ncontext b { id 2  memory { reserve 60% } }\n`,
  );
  assert.ok(r.diagnostics.some((d) => d.code === "VSC4003"));
});

test("swap and rlimits take no %", () => {
  const r = checkText(`${HOST}context a { id 1  memory { swap 10% } }\n`);
  assert.ok(r.diagnostics.some((d) => d.code === "VSC3003"));
});

test("shared cpus are normalised and may overlap", () => {
  const r = checkText(
    `${HOST}context a { id 1  cpu { cpus "3,1-2,2" } }\ncontext b { id 2  cpu { cpus "1" } }\n`,
  );
  assert.equal(r.diagnostics, []);
  assert.is(r.ir!.nodes.find((n) => n.name === "a")!.cpu.cpus, "1-3");
});

test("counted whole cores avoid cpus named as shared when others are free", () => {
  const r = checkText(
    `${HOST}context a { id 1  cpu { cores 1 } }\ncontext b { id 2  cpu { cpus "1" } }\n`,
  );
  assert.equal(r.diagnostics, []);
  assert.equal(r.ir!.nodes.find((n) => n.name === "a")!.cpu.cores, [2]);
});

test("shared cpus are context-only", () => {
  const r = checkText(`${HOST}class k { cpu { cpus "1" } }\ncontext a in k { id 1 }\n`);
  assert.ok(r.diagnostics.some((d) => d.code === "VSC2031"));
});

test("oom group", () => {
  assert.is(ir("memory { oom group }").memory.oomGroup, true);
  const r = checkText(`${HOST}context a { id 1  memory { oom all } }\n`);
  assert.ok(r.diagnostics.some((d) => d.code === "VSC2030"));
});

test("syscalls build into the IR's shape (the cgroupfs error aside)", () => {
  const r = checkText(
    `${HOST}context a { id 1  security { syscalls deny "@reboot", "@mount", "@mount" } }\n`,
  );
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC4035"],
  );
});

// language-v2.md §4 and §5, verbatim (comment alignment included), with a v1 host.
const SPEC4 =
  'context db {\n  id 402\n  cpu { cpus "1" }              # may run only on cpu 1, shared with others (cpuset.cpus, not exclusive; lists like "2-3,6" too)\n  memory { high 40%  limit 50%  oom group }   # % of the memory the host block declares; oom group -> memory.oom.group 1\n}\n';
const SPEC5 =
  'context sandboxed {\n  id 403\n  security {\n    capabilities none           # empty bounding set (also: `keep` with nothing after it is an error that suggests `none`)\n    user "www-data"             # run as this user (name or uid); its primary group unless `group` says otherwise\n    group "www-data"\n    filesystem read-only        # the whole tree read-only, except what `writable` lists\n    writable "/var/lib/app"\n    tmp private                 # a private /tmp\n    devices private             # only pseudo devices (null, zero, random, urandom, tty)\n  }\n}\n';

test("language-v2 §4 and §5 examples check with no diagnostic and compile", () => {
  for (const text of [SPEC4, SPEC5]) {
    const r = checkText(`${HOST}\n${text}`);
    assert.equal(r.diagnostics, []);
    const arts = emitArtifacts(r.ir!);
    assert.ok(arts["cgroup.sh"].length > 0);
  }
  const r4 = checkText(`${HOST}\n${SPEC4}`).ir!.nodes[0]!;
  assert.equal(r4.cpu.cpus, "1");
  assert.equal(r4.memory.limit, 4 * 1024 ** 3);
  assert.equal(r4.memory.oomGroup, true);
});

test("§5's syscall filter is refused under cgroupfs at its line, naming the systemd driver", () => {
  const text = SPEC5.replace(
    "    devices private",
    '    syscalls deny "@mount", "@reboot", "@swap", "@raw-io", "@module"\n    devices private',
  );
  const r = checkText(`${HOST}\n${text}`);
  assert.equal(
    r.diagnostics.map((d) => `${d.code}@${d.span!.line}:${d.span!.col}`),
    ["VSC4035@17:5"],
  );
  assert.match(r.diagnostics[0]!.message, /systemd driver/);
});

test.run();
