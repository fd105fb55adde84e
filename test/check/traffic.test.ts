/**
 * Traffic classes, leaf queues, ingress (language-v2.md §3): the example as
 * written checks and compiles; the IR, the tc classes and the nft rules it
 * gives; rates in % and the fair default rate.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { desiredState } from "../../src/emit/index.js";
import { trafficIds } from "../../src/model/traffic.js";
import { HOST, checkText, fixture, summary } from "./helpers.js";

const SPEC = fixture("test/spec/language-v2-s3.vsc");

test("the §3 example checks as written: one warning, the overlap of bulk's tcp to 10.9/16 with ssh's port 22", () => {
  const r = checkText(SPEC);
  assert.equal(summary(r.diagnostics), ["VSC4051@18:28"]);
  assert.ok(r.ir);
  const link = r.ir!.host.links[0]!;
  assert.equal(
    { ...link, loc: undefined },
    {
      name: "eth0",
      rate: 100_000_000,
      defaultReserve: 10_000_000,
      defaultLimit: 40_000_000,
      qdisc: "fq_codel",
      ingress: 80_000_000,
      loc: undefined,
    },
  );
  const web = r.ir!.nodes[0]!.net.links[0]!;
  assert.is(web.reserve, 20_000_000);
  assert.is(web.limit, 60_000_000);
  assert.equal(
    web.traffic!.map((t) => [t.name, t.reserve, t.limit, t.prio, t.qdisc, t.matches.length]),
    [
      ["ssh", 1_000_000, undefined, 0, undefined, 1],
      ["bulk", undefined, 10_000_000, 7, "sfq", 2],
    ],
  );
  assert.equal(web.ingress, { limit: 20_000_000, loc: web.ingress!.loc });
});

test("tc: traffic classes are children of the context's class; the fair rate splits what reserves leave", () => {
  const ir = checkText(SPEC).ir!;
  const d = desiredState(ir);
  const ids = trafficIds(ir);
  const hex = (k: string) => `1:${ids.get(k)!.toString(16)}`;
  const cls = d.links[0]!.classes.map(
    (c) => `${c.classid}<${c.parent} ${c.rate}/${c.ceil} p${c.prio ?? "-"} ${c.leafQdisc ?? "-"}`,
  );
  assert.equal(cls, [
    "1:fffe<1: 100000000/100000000 p- -",
    "1:ffff<1:fffe 10000000/40000000 p- fq_codel",
    "1:191<1:fffe 20000000/60000000 p- -",
    `${hex("web/eth0/ssh")}<1:191 1000000/60000000 p0 fq_codel`,
    // (20 - 1) mbit left, shared by bulk and the rest leaf.
    `${hex("web/eth0/bulk")}<1:191 9500000/10000000 p7 sfq`,
    `${hex("web/eth0/")}<1:191 9500000/60000000 p0 fq_codel`,
  ]);
  const rules = d.nft.ruleset;
  assert.match(
    rules,
    `oifname "eth0" tcp dport 22 meta priority set ${hex("web/eth0/ssh")} return`,
  );
  assert.match(
    rules,
    `oifname "eth0" tcp sport 22 meta priority set ${hex("web/eth0/ssh")} return`,
  );
  assert.match(
    rules,
    `oifname "eth0" ip daddr 10.9.0.0/16 meta l4proto tcp meta priority set ${hex("web/eth0/bulk")} return`,
  );
  assert.match(rules, `oifname "eth0" meta priority set ${hex("web/eth0/")}\n`);
  assert.match(
    rules,
    "meta priority set 1:191\n\t\t# tc: its traffic classes (first match wins)\n\t\tjump tc_web",
  );
});

test("traffic ids avoid every node id and are stable when an unrelated context is added", () => {
  const a = checkText(SPEC).ir!;
  const b = checkText(SPEC + "context other { id 7 }\n").ir!;
  assert.equal([...trafficIds(a)], [...trafficIds(b)]);
  for (const id of trafficIds(a).values()) assert.ok(id >= 1 && id <= 0xfffd && id !== 401);
});

test("v1 links without §3 settings keep their IR and classes (no traffic, no prio)", () => {
  const r = checkText(`${HOST}context a { id 1  net { link eth0 { reserve 10mbit } } }\n`);
  assert.equal(Object.keys(r.ir!.host.links[0]!), ["name", "rate", "loc"]);
  const d = desiredState(r.ir!);
  assert.ok(d.links[0]!.classes.every((c) => c.prio === undefined));
  assert.ok(!d.nft.ruleset.includes("tc_a"));
});

test("a traffic reserve needs the context's reserve; the error says so", () => {
  const r = checkText(
    `${HOST}context a { id 1  net { link eth0 { traffic s { match tcp port 22  reserve 1mbit } } } }\n`,
  );
  assert.equal(summary(r.diagnostics), ["VSC4050@7:68"]);
  assert.match(r.diagnostics[0]!.help!, /give a a reserve on link eth0/);
});

test("match alternatives: a comma before a protocol, to or port starts the next one", () => {
  const r = checkText(
    `${HOST}context a { id 1  net { link eth0 { reserve 10mbit  traffic s { match tcp to 10.1.0.0/16, 10.2.0.0/16, udp port 53, 5353, icmp } } } }\n`,
  );
  assert.equal(summary(r.diagnostics), []);
  const m = r.ir!.nodes[0]!.net.links[0]!.traffic![0]!.matches;
  assert.equal(
    m.map((x) => [
      x.proto,
      x.peers.map((p) => `${p.address}/${p.prefix}`),
      x.ports.map((p) => p.from),
    ]),
    [
      ["tcp", ["10.1.0.0/16", "10.2.0.0/16"], []],
      ["udp", [], [53, 5353]],
      ["icmp", [], []],
    ],
  );
});

test("a template's traffic classes come first, then the context's", () => {
  const r = checkText(
    `${HOST}template t { net { link eth0 { traffic ssh { match tcp port 22 } } } }\n` +
      `context a { id 1  use t  net { link eth0 { traffic web { match tcp port 80 } } } }\n`,
  );
  assert.equal(
    r.ir!.nodes[0]!.net.links[0]!.traffic!.map((t) => t.name),
    ["ssh", "web"],
  );
});

test("HTB ids: 642 contexts x 101 traffic and rest classes fit (65,484 ids); 643 are VSC4056, not an internal error", () => {
  const prog = (n: number) =>
    `${HOST}template t { net { link eth0 { ${Array.from({ length: 100 }, (_, i) => `traffic t${i} { match tcp port ${1000 + i} }`).join("  ")} } } }\n` +
    Array.from({ length: n }, (_, i) => `context c${i} { id ${i + 1}  use t }\n`).join("");
  const fits = checkText(prog(642));
  assert.ok(fits.ir, JSON.stringify(summary(fits.diagnostics)));
  assert.is(trafficIds(fits.ir!).size, 642 * 101);
  const over = checkText(prog(643));
  assert.is(over.ir, undefined);
  assert.equal(
    over.diagnostics.map((d) => d.code),
    ["VSC4056"],
  );
  assert.match(
    over.diagnostics[0]!.message,
    /^traffic t\d+ of c\d+ on link eth0 needs an HTB class id/,
  );
});

test("match takes allow's peers by name and except: same checks (self, unknown, no address, except outside)", () => {
  const prog = (m: string) =>
    `${HOST}class backend {}\ncontext db in backend { id 2  net { address 10.0.0.5 } }\n` +
    `context bare in backend { id 3 }\n` +
    `context app { id 1  net { address 10.0.0.9  link eth0 { traffic t { match ${m} } } } }\n`;
  const codes = (m: string) => checkText(prog(m)).diagnostics.map((d) => d.code);
  assert.equal(codes("tcp to context db"), []);
  assert.equal(codes("tcp to class backend"), ["VSC4043"]); // bare has no address: a warning
  assert.equal(codes("tcp to context app"), ["VSC4041"]);
  assert.equal(codes("tcp to context dbx"), ["VSC2060"]);
  assert.equal(codes("tcp to context bare"), ["VSC4040"]);
  assert.equal(codes("to 10.0.0.0/24 except 10.1.0.0/24"), ["VSC4042"]);
  assert.equal(codes("to context db except 10.0.0.0/24"), ["VSC4042"]);
  assert.equal(codes("to 10.0.0.0/16 except 10.0.1.0/24"), []);
  const r = checkText(prog("tcp to context db, udp to 10.0.0.0/16 except 10.0.1.0/24"));
  const m = r.ir!.nodes.find((n) => n.name === "app")!.net.links[0]!.traffic![0]!.matches;
  assert.equal(m[0]!.named, [{ kind: "context", name: "db" }]);
  assert.equal(
    m[1]!.except?.map((e) => `${e.address}/${e.prefix}`),
    ["10.0.1.0/24"],
  );
});

test("overlap warnings see the named peers' addresses and whole excepts", () => {
  const prog = (a: string, b: string) =>
    `${HOST}context db { id 2  net { address 10.0.2.20 } }\n` +
    `context app { id 1  net { address 10.0.0.9  link eth0 { traffic a { match ${a} }  traffic b { match ${b} } } } }\n`;
  const codes = (a: string, b: string) => checkText(prog(a, b)).diagnostics.map((d) => d.code);
  assert.equal(codes("tcp to context db", "tcp to 10.0.0.0/16"), ["VSC4051"]);
  assert.equal(codes("tcp to context db", "tcp to 10.0.0.0/16 except 10.0.2.0/24"), []);
  assert.equal(codes("tcp to context db", "tcp to 10.0.3.0/24"), []);
});

test.run();
