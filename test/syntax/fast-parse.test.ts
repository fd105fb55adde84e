/**
 * The parser's fast path (src/syntax/fast-parse.ts) against the Chevrotain
 * grammar: whenever the fast path accepts a text, the grammar's parse of the
 * same text is identical (AST, spans, key order, comments, diagnostics) and
 * has no syntax error; and the fast path does accept every valid example, so
 * that the comparison is not vacuous.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Scanner } from "../../grammar/lexer.js";
import { generateConfig } from "../../bench/gen-config.js";
import { fastParse } from "../../src/syntax/fast-parse.js";
import { parseSource, parseWhole } from "../../src/syntax/parse.js";
import { mutate, rng } from "../fuzz/fuzz.js";
import { seedTexts } from "../fuzz/seeds.js";

const fast = (text: string) => fastParse(new Scanner(text), "main.vsc");

/** Same objects with the same key order: JSON text, not just deep equality. */
function same(text: string): void {
  const a = parseSource(text, "main.vsc");
  const b = parseWhole(text, "main.vsc");
  assert.is(JSON.stringify(a), JSON.stringify(b));
}

test("every example and a generated config of several thousand tokens take the fast path", () => {
  const texts = [
    ...seedTexts(),
    generateConfig(300).replace(/^context ctx-7 /m, "# c\ncontext ctx-7 "),
  ];
  for (const text of texts) {
    assert.ok(fast(text), `the fast path gave up on:\n${text.slice(0, 200)}`);
    assert.equal(parseWhole(text, "main.vsc").diagnostics, []);
    same(text);
  }
});

test("statements the grammar knows in every block, every value shape", () => {
  const text = `define nets = 10.0.0.0/8, fd00::/64
define one = 10.1.0.1
include "more/*.vsc"
host h {
  cpus 4  memory 8GiB  cgroup-root "a/b c"
  disk vda 254:0
  link eth0 rate 1gbit
  keep cpu 10%  keep memory 1GiB
  overbook memory 2.5
}
template t {
  cpu { share 2  reserve 1.5 cpus  limit 2 cpu  burst 20ms  cores 1 }
  memory { reserve 1MiB low 2MiB high 3MiB limit max swap 0 }
  pids { limit 100 }
  io { share 50  device vda { read 10MB/s  write 5MB/s  riops 100  wiops 50 } }
  net {
    address 10.0.0.1, fd00::1  default deny
    link eth0 { share 1  reserve 1mbit  limit 2mbit }
    allow in tcp port 80, 8000-8080
    allow out udp to $nets, 192.168.0.0/16 port 53
    allow in from $one
    allow out
    allow in icmp
  }
  rlimit { nofile 1024 4096  memlock max  core 0 }
  security {
    capabilities keep chown, setuid
    capabilities drop net_raw
    namespaces pid, uts
    hostname "web-1"  root "/srv/x \\"y\\""
  }
}
class c in p { use t  id 7 }
context x in c { use t id 8 cpu { share 1 } }
context io { id 9 }
`;
  assert.ok(fast(text));
  assert.equal(parseWhole(text, "main.vsc").diagnostics, []);
  same(text);
});

test("texts the fast path leaves to the grammar", () => {
  const cases = [
    "context a { cpu { shares 2 } }", // unknown key: an Unknown statement for the checker
    "context a { cpu { share 2 }", // missing `}`
    "context a { cpu { share } }", // missing value
    "context a { cpu { share 1, } }",
    "context A { }", // bad name
    "context a { id 1.2.3 }", // bad value
    "host h in p { }", // `in` on a host
    "} context a { }", // junk at the top level
    "context a { rlimit { nofile 1 max 5 } }", // `max 5` starts a statement: the grammar's LL(2) choice
  ];
  for (const text of cases) {
    assert.is(fast(text), undefined, text);
    same(text);
  }
});

test("5,000 mutated texts: the fast path gives up, or agrees with the grammar exactly", () => {
  const seeds = [...seedTexts(), generateConfig(20)];
  const r = rng(20261130);
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const text = mutate(seeds[Math.floor(r() * seeds.length)]!, r);
    if (fast(text)) {
      accepted++;
      const whole = parseWhole(text, "main.vsc");
      // Accepted text has no syntax error. Lexer issues that leave no bad token behind may remain:
      // stray characters (VSC1001) and faulty strings (VSC1003-1005), reported on both paths.
      for (const d of whole.diagnostics)
        assert.ok(/^VSC100[1345]$/.test(d.code), `${d.code} ${d.message} in:\n${text}`);
    }
    same(text);
  }
  // Mutations keep many texts valid (swapped, duplicated or cut lines): the comparison is not vacuous.
  assert.ok(accepted > 400, `only ${accepted} texts took the fast path`);
});

test.run();
