/** The IR: valid against src/ir/schema.json, in stable order, deterministic, canonical. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ajv } from "ajv";
import { deriveClassIds, fnv1a } from "../../src/check/class-ids.js";
import { HOST, checkFiles, checkText, fixture, summary } from "./helpers.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(fixture("src/ir/schema.json")));

const rich = `define dns = 10.255.0.2, 10.255.0.3
${HOST}class tier-b { id 500  cpu { share 3 } }
class tier-a { memory { limit 6GiB } }
class inner in tier-a { }
context zeta in tier-a { id 3  net { address 2001:DB8:0:0:0:0:0:1, 10.0.0.3/32 } }
context alpha in inner {
  id 2
  cpu { limit 500m  burst 10ms }
  memory { high max  limit max  swap 0 }
  pids { limit max }
  io { share 50  device vda { read max  wiops 10 } }
  net { link eth0 { }  allow out udp to $dns port 53  allow in from 10.1.0.0/16  default allow }
  rlimit { nofile 1024 4096  core 0  cpu 10s  stack max }
  security { capabilities drop cap_sys_admin, net_raw  namespaces uts, pid, pid  hostname "alpha" }
}
context beta in tier-b { id 1 }
`;

test("the language example's IR and a richer program validate against the schema", () => {
  for (const src of [fixture("examples/language.vsc"), rich]) {
    const r = checkText(src);
    assert.equal(summary(r.diagnostics), []);
    const ok = validate(r.ir);
    assert.ok(ok, JSON.stringify(validate.errors, null, 1));
  }
});

test("nodes parents first, siblings by name; paths and depths", () => {
  const ir = checkText(rich).ir!;
  assert.equal(
    ir.nodes.map((n) => `${n.path}:${n.depth}:${n.parent}`),
    [
      "tier-a:1:null",
      "tier-a/inner:2:tier-a",
      "tier-a/inner/alpha:3:inner",
      "tier-a/zeta:2:tier-a",
      "tier-b:1:null",
      "tier-b/beta:2:tier-b",
    ],
  );
});

test("normalised values: max is absent, defaults applied, canonical addresses, sorted sets", () => {
  const ir = checkText(rich).ir!;
  const alpha = ir.nodes.find((n) => n.name === "alpha")!;
  assert.equal(alpha.memory, { swap: 0, loc: alpha.memory.loc! });
  assert.equal(alpha.pids, { loc: alpha.pids.loc! });
  assert.equal(alpha.cpu, { share: 1, limit: 500, burst: 10000, loc: alpha.cpu.loc! });
  assert.equal(
    alpha.io.devices.map((d) => [d.name, d.major, d.rbps, d.wiops]),
    [["vda", 254, undefined, 10]],
  );
  assert.equal(alpha.net.links, [{ name: "eth0", share: 1, loc: alpha.net.links[0]!.loc! }]);
  assert.equal(
    alpha.net.rules.map((r) => [
      r.direction,
      r.proto,
      r.peers.map((p) => `${p.address}/${p.prefix}`),
      r.ports,
    ]),
    [
      ["out", "udp", ["10.255.0.2/32", "10.255.0.3/32"], [{ from: 53, to: 53 }]],
      ["in", "any", ["10.1.0.0/16"], []],
    ],
  );
  assert.equal(
    alpha.rlimits.map((r) => [r.name, r.soft, r.hard]),
    [
      ["core", 0, 0],
      ["cpu", 10, 10],
      ["nofile", 1024, 4096],
      ["stack", "unlimited", "unlimited"],
    ],
  );
  assert.equal(alpha.security.capabilities, { mode: "drop", names: ["net_raw", "sys_admin"] });
  assert.equal(alpha.security.namespaces, ["pid", "uts"]);
  const zeta = ir.nodes.find((n) => n.name === "zeta")!;
  assert.equal(
    zeta.net.addresses.map((a) => `${a.address}/${a.prefix}`),
    ["2001:db8::1/128", "10.0.0.3/32"],
  );
});

test("class ids: declared kept, others derived from the name in 60001..65279", () => {
  const ir = checkText(rich).ir!;
  const ids = Object.fromEntries(ir.nodes.map((n) => [n.name, n.id]));
  assert.is(ids["tier-b"], 500);
  for (const c of ["tier-a", "inner"]) assert.ok(ids[c]! >= 60001 && ids[c]! <= 65279);
  assert.is(ids["tier-a"], 60001 + (fnv1a("tier-a") % 5279));
  // Collisions probe linearly in name order, independent of the input order.
  const taken = deriveClassIds(["b", "a"], new Set());
  assert.equal([...deriveClassIds(["a", "b"], new Set())], [...taken]);
});

test("locations are entry-relative across includes", () => {
  const r = checkFiles({
    "main.vsc": `${HOST}include "ctx/*.vsc"\n`,
    "ctx/a.vsc": `context a { id 1  cpu { share 2 } }\n`,
  });
  assert.equal(summary(r.diagnostics), []);
  assert.equal(r.ir!.nodes[0]!.loc, { file: "ctx/a.vsc", line: 1, col: 9 });
  assert.is(r.ir!.entry, "main.vsc");
});

test("a default's location is where it was written: a template's line when it came from one", () => {
  const r = checkText(`${HOST}template locked { net { default deny } }
context a { use locked  id 1  net { address 10.0.0.1 } }
context b { id 2  net { default allow } }
context c { id 3 }
`);
  assert.equal(summary(r.diagnostics), []);
  const net = (name: string) => r.ir!.nodes.find((n) => n.name === name)!.net;
  assert.equal(net("a").defaultLoc, { file: "main.vsc", line: 7, col: 25 });
  assert.equal(net("b").defaultLoc, { file: "main.vsc", line: 9, col: 25 });
  assert.is(net("c").default, undefined);
  assert.is(net("c").defaultLoc, undefined);
  assert.ok(validate(r.ir));
});

test("same input, same bytes", () => {
  const a = JSON.stringify(checkText(rich).ir);
  const b = JSON.stringify(checkText(rich).ir);
  assert.is(a, b);
});

test("warnings keep the IR; errors drop it", () => {
  const warn = checkText(`${HOST}context a { id 1  net { address 10.0.0.1/24 } }\n`);
  assert.equal(summary(warn.diagnostics), ["VSC3011@7:33"]);
  assert.is(warn.ir!.nodes[0]!.net.addresses[0]!.address, "10.0.0.0");
  assert.is(checkText(`${HOST}context a { }\n`).ir, undefined);
});

test.run();
