/** DesiredState values: exactly what the kernel reads back (cgroup-v2.rst formats). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { desiredState } from "../../src/emit/index.js";
import { cpuMax, pageBytes } from "../../src/model/cgroups.js";
import { cpuList } from "../../src/model/cpulist.js";
import { quantum } from "../../src/model/links.js";
import { languageIr } from "./fixtures.js";

const d = desiredState(languageIr());
const cg = (path: string) => d.cgroups.find((c) => c.path === path)!;
const val = (path: string, file: string) => cg(path).files.find((f) => f.name === file)?.value;

test("cgroups: owned root first, parents before children, kinds and controllers", () => {
  assert.equal(
    d.cgroups.map((c) => `${c.kind}:${c.path}`),
    ["root:vsc", "context:vsc/batch", "class:vsc/web-tier", "context:vsc/web-tier/web"],
  );
  assert.equal(cg("vsc").subtreeControl, ["cpu", "cpuset", "io", "memory", "pids"]);
  assert.equal(cg("vsc/web-tier/web").subtreeControl, []);
  assert.is(cg("vsc/web-tier/web").source, "language.vsc:27");
});

test("cpu: weight, cpu.max quota/period, burst", () => {
  assert.is(val("vsc/web-tier/web", "cpu.max"), "100000 100000");
  assert.is(val("vsc/web-tier", "cpu.max"), "max 100000");
  assert.is(val("vsc/web-tier/web", "cpu.max.burst"), "20000");
  assert.is(val("vsc/batch", "cpu.max.burst"), "0");
  assert.is(cpuMax(1500), "150000 100000");
  assert.is(cpuMax(5), "1000 100000"); // the kernel's minimum quota is 1 ms
});

test("memory: page-rounded bytes, max when unset, protections summed up the tree", () => {
  assert.is(pageBytes(4095), 0);
  assert.is(pageBytes(268435456 + 123), 268435456);
  assert.is(val("vsc/web-tier/web", "memory.min"), "268435456");
  assert.is(val("vsc/web-tier/web", "memory.swap.max"), "0");
  assert.is(val("vsc/web-tier", "memory.high"), "max");
  // web-tier sets no reserve/low itself: it passes on its children's, and so does the root.
  assert.is(val("vsc/web-tier", "memory.min"), "268435456");
  assert.is(val("vsc", "memory.low"), "536870912");
});

test("pids, io.weight as the kernel prints it, io.max lines and their writes", () => {
  assert.is(val("vsc/web-tier/web", "pids.max"), "512");
  assert.is(val("vsc/web-tier", "pids.max"), "max");
  // web is web-tier's only child: its io share (2) is all of the group.
  assert.is(val("vsc/web-tier/web", "io.weight"), "default 100");
  assert.is(val("vsc/batch", "io.weight"), "default 100");
  const io = cg("vsc/web-tier/web").files.find((f) => f.name === "io.max")!;
  assert.is(io.value, "254:0 rbps=50000000 wbps=20000000 riops=1000 wiops=500");
  const reset = cg("vsc/batch").files.find((f) => f.name === "io.max")!;
  assert.is(reset.value, "");
  assert.equal(reset.writes, ["254:0 rbps=max wbps=max riops=max wiops=max"]);
});

test("cpuset: a whole-core context gets its cores; every other cgroup the shared cpus plus its subtree's cores", () => {
  const cpuset = (path: string) =>
    cg(path)
      .files.filter((f) => f.name.startsWith("cpuset"))
      .map((f) => `${f.name}=${f.value}`);
  // language.vsc: 2 cpus, batch takes 1 core (cpu 1), everyone else shares cpu 0.
  assert.equal(cpuset("vsc/batch"), ["cpuset.cpus=1"]);
  assert.equal(cpuset("vsc/web-tier"), ["cpuset.cpus=0"]);
  assert.equal(cpuset("vsc/web-tier/web"), ["cpuset.cpus=0"]);
  // the owned root inherits the mount's cpus; no partitions anywhere (they need Linux >= 6.7 here)
  assert.equal(cpuset("vsc"), []);
  assert.not.ok(d.cgroups.some((c) => c.files.some((f) => /partition|exclusive/.test(f.name))));
  assert.is(cpuList([0, 1, 2, 4, 6, 7]), "0-2,4,6-7");
  assert.is(cpuList([]), "");
});

test("no cpuset files or controller when no context takes whole cores", () => {
  const ir = languageIr();
  ir.nodes = ir.nodes.filter((n) => n.name !== "batch");
  const s = desiredState(ir);
  assert.equal(s.cgroups[0].subtreeControl, ["cpu", "io", "memory", "pids"]);
  assert.ok(s.cgroups.every((c) => c.files.every((f) => !f.name.startsWith("cpuset"))));
});

test("tc: root, default, class and context classes with stable ids", () => {
  assert.is(d.links.length, 1);
  const l = d.links[0];
  assert.is(l.dev, "eth0");
  assert.is(l.defaultClassid, "1:ffff");
  assert.equal(
    l.classes.map(
      (c) => `${c.classid}<${c.parent} ${c.rate}/${c.ceil} q${c.quantum} ${c.leafQdisc ?? "-"}`,
    ),
    [
      "1:fffe<1: 1000000000/1000000000 q1514 -",
      "1:ffff<1:fffe 900000000/1000000000 q1514 fq_codel",
      "1:ea72<1:fffe 100000000/400000000 q1514 -",
      "1:65<1:ea72 5000000/50000000 q1514 fq_codel",
    ],
  );
  assert.is(quantum(2, 1), 3028);
  assert.is(quantum(10000, 1), 200000);
  assert.is(quantum(1, 4), 1514);
});

test("nft: digest is the sha256 of the ruleset rendered with an empty digest", () => {
  const blank = d.nft.ruleset.replace(`comment "vsc:${d.nft.digest}"`, 'comment "vsc:"');
  assert.is(createHash("sha256").update(blank).digest("hex"), d.nft.digest);
  assert.match(
    d.nft.ruleset,
    /^table inet vsc \{\}\ndelete table inet vsc\ntable inet vsc \{\n\tchain digest \{\n/m,
  );
  // batch has no address: it is dispatched too, to keep it off web's address
  assert.equal(d.nft.cgroupPaths, ["vsc/batch", "vsc/web-tier/web"]);
  // a one-field edit changes the digest
  const ir = languageIr();
  ir.nodes[2].net.rules[2].ports = [{ from: 54, to: 54 }];
  assert.is.not(desiredState(ir).nft.digest, d.nft.digest);
});

test("nft: dispatch by socket cgroupv2 level, by daddr inbound, binding, priority, default", () => {
  const r = d.nft.ruleset;
  assert.match(r, 'socket cgroupv2 level 3 vmap {\n\t\t\t"vsc/web-tier/web" : jump out_web,');
  assert.match(r, "ip daddr vmap {\n\t\t\t10.0.0.11 : jump in_web,");
  assert.match(r, "meta priority set 1:65");
  assert.match(r, "ip saddr != 10.0.0.11 drop");
  assert.match(r, "ip daddr 10.0.1.0/24 tcp dport 5432 accept");
  assert.match(r, "tcp dport { 80, 443 } accept");
  // one dispatch rule per cgroup level in use (batch at 2, web at 3), never one per context
  assert.is((r.match(/^\s*socket cgroupv2/gm) ?? []).length, 2);
});

test("nft: a context without addresses may not send from an address another context declared", () => {
  const r = d.nft.ruleset;
  assert.match(
    r,
    "set context_addrs_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { 10.0.0.11 }",
  );
  assert.match(
    r,
    "chain out_batch {\n\t\t# source binding: not the addresses other contexts declared\n\t\tip saddr @context_addrs_v4 drop",
  );
  // web also declares fd00::11: the IPv6 set and its rule follow
  assert.match(r, "elements = { fd00::11 }");
  assert.match(r, "ip saddr @context_addrs_v4 drop\n\t\tip6 saddr @context_addrs_v6 drop");
  // when every context is bound to its own addresses, the set would be unused: none is written
  const ir = languageIr();
  ir.nodes.find((n) => n.name === "batch")!.net.addresses = [
    { family: 4, address: "10.0.0.12", prefix: 32 },
  ];
  assert.not.match(desiredState(ir).nft.ruleset, "context_addrs");
});

test("nft: contexts without addresses are found inbound by socket lookup", () => {
  const ir = languageIr();
  ir.nodes[2].net.addresses = [];
  const s = desiredState(ir);
  assert.match(
    s.nft.ruleset,
    'socket cgroupv2 level 3 vmap {\n\t\t\t"vsc/web-tier/web" : jump in_web,',
  );
  assert.not.match(s.nft.ruleset, "saddr !=");
  // only an IPv6 address: every IPv4 packet from the context is dropped
  ir.nodes[2].net.addresses = [{ family: 6, address: "fd00::11", prefix: 128 }];
  assert.match(desiredState(ir).nft.ruleset, "meta nfproto ipv4 drop");
});

test("nft: a default deny's drop cites the line that wrote it, also a template's", () => {
  const ir = languageIr();
  const web = ir.nodes[2]!;
  // web's net block is at line 48; its default, as if a template at line 90 had brought it.
  web.net.defaultLoc = { file: "language.vsc", line: 90, col: 5 };
  const r = desiredState(ir).nft.ruleset;
  assert.is((r.match(/# default deny \(language\.vsc:90\)\n\t\tdrop/g) ?? []).length, 2);
  assert.not.match(r, "default deny (language.vsc:48)");
});

test("desired state is deterministic and independent of earlier calls", () => {
  assert.equal(desiredState(languageIr()), d);
});

test.run();
