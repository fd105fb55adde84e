/** Configuration independence: ids, addresses, inbound ports; names and the class tree. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HOST, checkText, pos, summary } from "./helpers.js";

test("ports: no conflict when both contexts have their own addresses", () => {
  const src = `${HOST}context a { id 1  net { address 10.0.0.1  allow in tcp port 80 } }
context b { id 2  net { address 10.0.0.2  allow in tcp port 80 } }
`;
  assert.equal(summary(checkText(src).diagnostics), []);
});

test("ports: one context without an address collides, also through ranges; other protocol does not", () => {
  const src = `${HOST}context a { id 1  net { address 10.0.0.1  allow in tcp port 8000-8080 } }
context b { id 2  net { allow in udp port 8000  allow in tcp port 8080 } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4009@${pos(src, "8080", 1)}`]);
  assert.match(r.diagnostics[0]!.message, /"b" has no address of its own/);
});

test("addresses: IPv6 overlap through a prefix, reported at the later one in source", () => {
  const src = `${HOST}context a { id 1  net { address fd00::11 } }
context b { id 2  net { address fd00::/64 } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4008@${pos(src, "fd00::/64")}`]);
  assert.match(r.diagnostics[0]!.message, /fd00::\/64 of "b" overlaps fd00::11\/128 of "a"/);
});

test("the same address twice in one context is one address", () => {
  const src = `${HOST}template t { net { address 10.0.0.1 } }\ncontext a { use t  id 1  net { address 10.0.0.1 } }\n`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), []);
  assert.is(r.ir!.nodes[0]!.net.addresses.length, 1);
});

test("class ids live in the derived range unless declared, and collide with contexts' when declared", () => {
  const r = checkText(`${HOST}class c { id 7 }\ncontext a in c { id 7 }\n`);
  assert.equal(summary(r.diagnostics), ["VSC4007@8:21"]);
});

test("names: duplicates across kinds, a host declared twice, a define used where it does not fit", () => {
  const src = `define port = 80
${HOST}template a { }
class a { }
host h { cpus 1  memory 1GiB }
context c { id 1  net { address $port } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [
    `VSC2010@${pos(src, "a { }", 1)}`,
    `VSC2013@${pos(src, "h { cpus 1", 0)}`,
    `VSC2020@${pos(src, "$port")}`,
  ]);
  assert.equal(r.diagnostics[2]!.related![0]!.span.line, 1);
});

test("classes placed in each other are one error, at the first of them", () => {
  const src = `${HOST}class a in c { }\nclass b in a { }\nclass c in b { }\n`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC2017@${pos(src, "c {")}`]);
  assert.match(r.diagnostics[0]!.message, /a in c in b in a/);
});

test("the anon limit gets its own explanation; rss points to limit", () => {
  const r = checkText(`${HOST}context a { id 1  memory { anon 1GiB  rss 2GiB } }\n`);
  assert.equal(summary(r.diagnostics), ["VSC2025@7:28", "VSC2022@7:39"]);
  assert.match(r.diagnostics[0]!.help!, /swap 0/);
  assert.match(r.diagnostics[1]!.help!, /"limit"/);
});

test("unknown rlimit, capability and block names come with suggestions", () => {
  const src = `${HOST}context a { id 1
  rlimit { memlok 1MiB }
  security { capabilities drop cap_net_rwa  namespaces pdi }
  memroy { limit 1GiB }
}
`;
  const r = checkText(src);
  assert.equal(
    r.diagnostics.map((d) => `${d.code} ${d.help}`),
    [
      'VSC2022 did you mean "memlock"?',
      'VSC2028 did you mean "net_raw"?',
      'VSC2029 did you mean "pid"?',
      'VSC2023 did you mean "memory"?',
    ],
  );
});

test("ordering within a node and the burst rule", () => {
  const src = `${HOST}context a { id 1
  memory { low 2GiB  high 1GiB }
  cpu { reserve 2cpus  limit 1cpus }
  rlimit { nofile 4096 1024 }
  net { link eth0 { reserve 20mbit  limit 10mbit } }
}
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [
    `VSC4001@${pos(src, "low")}`,
    `VSC4001@${pos(src, "reserve 2cpus")}`,
    `VSC4001@${pos(src, "4096")}`,
    `VSC4001@${pos(src, "reserve 20mbit")}`,
  ]);
});

test.run();
