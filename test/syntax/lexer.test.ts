/** The lexer: every token kind, positions, and the name rule (injection-proofing). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { atomEnd, lex, NAME_RE } from "../../grammar/lexer.js";
import { rng } from "../fuzz/fuzz.js";
import { parseSource } from "../../src/syntax/parse.js";
import { allNames } from "./helpers.js";

const kinds = (text: string): string[] =>
  lex(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

test("every token kind", () => {
  assert.equal(
    kinds('define x = 10.0.0.0/24, fd00::11, ::1, $db 254:0 8000-8080 "a\\"b" { } 2 1.5 max'),
    [
      "Kw_define:define",
      "Name:x",
      "Equals:=",
      "Address:10.0.0.0/24",
      "Comma:,",
      "Address:fd00::11",
      "Comma:,",
      "Address:::1",
      "Comma:,",
      "Var:$db",
      "DevNum:254:0",
      "Range:8000-8080",
      'String:"a\\"b"',
      "LCurly:{",
      "RCurly:}",
      "Number:2",
      "Number:1.5",
      "Kw_max:max",
    ],
  );
});

test("quantities: glued units and the spaced cpu form", () => {
  assert.equal(kinds("512MiB 10% 20ms 50MB/s 1gbit 1.5cpus 512M"), [
    "Quantity:512MiB",
    "Quantity:10%",
    "Quantity:20ms",
    "Quantity:50MB/s",
    "Quantity:1gbit",
    "Quantity:1.5cpus",
    "Quantity:512M",
  ]);
  assert.equal(kinds("limit 1.5 cpus"), ["Kw_limit:limit", "CpuQuantity:1.5 cpus"]);
  assert.equal(kinds("limit 1\tcpu"), ["Kw_limit:limit", "CpuQuantity:1\tcpu"]);
  // `cpu` opening a block after a number is not a unit, on the same line or the next
  assert.equal(kinds("id 101 cpu {"), ["Kw_id:id", "Number:101", "Kw_cpu:cpu", "LCurly:{"]);
  assert.equal(kinds("id 101\n  cpu {"), ["Kw_id:id", "Number:101", "Kw_cpu:cpu", "LCurly:{"]);
  // nor `cpus 2` (a host statement) after a number
  assert.equal(kinds("memory 8 cpus 2"), [
    "Kw_memory:memory",
    "Number:8",
    "Kw_cpus:cpus",
    "Number:2",
  ]);
});

test("IPv6 versus names and device numbers", () => {
  assert.equal(kinds("fe80::1/64 2001:db8::1 dead:beef::1 8:0"), [
    "Address:fe80::1/64",
    "Address:2001:db8::1",
    "Address:dead:beef::1",
    "DevNum:8:0",
  ]);
});

test("comments go to their own group with positions", () => {
  const r = lex("a # one\n  // two\nb");
  assert.equal(
    r.comments.map((c) => `${c.startLine}:${c.startColumn} ${c.image}`),
    ["1:3 # one", "2:3 // two"],
  );
  assert.equal(
    r.tokens.map((t) => `${t.startLine}:${t.startColumn}`),
    ["1:1", "3:1"],
  );
});

test("keywords keep their own type but are identifiers in name positions", () => {
  assert.equal(allNames("context io { use cpu }"), ["io", "use", "cpu"]);
});

test("positions are 1-based and exclusive-end spans line up (CRLF too)", () => {
  const t = lex("x\r\n  ab").tokens[1]!;
  assert.equal([t.startLine, t.startColumn, t.endColumn, t.startOffset], [2, 3, 4, 5]);
});

const hostile = [
  'context "a;rm" { id 1 }',
  "context Web { id 1 }",
  "context a.b { id 1 }",
  "context a/b { id 1 }",
  "context a;rm { id 1 }",
  "context a$(x) { id 1 }",
  "context `id` { id 1 }",
  "context a\u00a0b { id 1 }",
  "context café { id 1 }",
  "context a'b { id 1 }",
  "context x" + "y".repeat(63) + " { id 1 }",
  "context a\\\nb { id 1 }",
  "context a\rrm { id 1 }",
  "context a*b { id 1 }",
  "context -a { id 1 }",
  "context _a { id 1 }",
  "context 1a { id 1 }",
  "context a { use Small\n cpu { limit 1 } }",
  "class a { }\ncontext b in A.b { id 1 }",
  "context a { net { allow in TCP port 1 } }",
  "context a { security { capabilities keep CAP_SYS_ADMIN } }",
  "define X = 1",
  "define x = $Y",
  "context a { net { link eth0.1 { limit 1mbit } } }",
];

test("hostile names never reach the AST, and always produce an error", () => {
  for (const src of hostile) {
    for (const n of allNames(src))
      assert.ok(NAME_RE.test(n), `${JSON.stringify(src)} produced name ${JSON.stringify(n)}`);
    const ds = parseSource(src, "t.vsc").diagnostics;
    assert.ok(
      ds.some((d) => d.severity === "error"),
      `no error for ${JSON.stringify(src)}`,
    );
  }
});

test("no name token ever holds a character outside the name rule (random input)", () => {
  let seed = 12345;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const alphabet = "aZ0_-./;:$\"\\{}#, \n\t\u00e9\u00a0=`'*";
  for (let i = 0; i < 300; i++) {
    let s = "";
    const len = 1 + rand(60);
    for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
    for (const t of lex(s).tokens) {
      if (t.tokenType.name === "Name" || t.tokenType.name.startsWith("Kw_")) {
        assert.ok(
          NAME_RE.test(t.image),
          `name token ${JSON.stringify(t.image)} from ${JSON.stringify(s)}`,
        );
      }
    }
    for (const n of allNames("context " + s + " { id 1 }")) assert.ok(NAME_RE.test(n));
  }
});

test("an atom ends where the documented pattern says, on random text", () => {
  // docs/syntax.md: a word runs up to a blank, one of `{ } , = " #`, a `$`, or `//`.
  const pattern = /.(?:[^\s{},="#$/]|\/(?!\/))*/y;
  const alphabet = 'ab09_-.:$/{},="# \t\r\n\u00a0\u2028\ufeff\u3000éA;';
  const r = rng(7);
  for (let k = 0; k < 20000; k++) {
    let text = "";
    const len = 1 + Math.floor(r() * 12);
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(r() * alphabet.length)];
    pattern.lastIndex = 0;
    const m = pattern.exec(text);
    if (!m || m[0].length === 0) continue;
    assert.is(atomEnd(text, 0), m[0].length, JSON.stringify(text));
  }
});

test.run();
