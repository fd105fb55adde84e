/** The parser: the spec example, every syntax code at its exact position, recovery, AST shape. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { VscParser } from "../../grammar/parser.js";
import { syntaxCodes } from "../../src/diag/codes/syntax.js";
import { parseSource } from "../../src/syntax/parse.js";
import type { Decl, Setting, Block } from "../../src/syntax/ast.js";
import { diags, example } from "./helpers.js";

test("the grammar passes Chevrotain's validations (ambiguities, left recursion)", () => {
  new VscParser(true); // throws on a grammar error
});

test("examples/language.vsc parses with zero diagnostics", () => {
  const r = parseSource(example("language.vsc"), "language.vsc");
  assert.equal(r.diagnostics, []);
  const decls = r.file.items.filter((i): i is Decl => i.kind === "Decl");
  assert.equal(
    decls.map((d) => `${d.keyword} ${d.name.name}${d.parent ? " in " + d.parent.name : ""}`),
    ["host node1", "template small", "class web-tier", "context web in web-tier", "context batch"],
  );
  assert.equal(r.file.comments.length, 27);
});

test("statements sharing a line, spans on every node", () => {
  const r = parseSource(
    "context a {\n  cpu { share 4  reserve 25%  limit 1.5 cpus }\n}\n",
    "f.vsc",
  );
  const cpu = (r.file.items[0] as Decl).body[0] as Block;
  const s = cpu.body as Setting[];
  assert.equal(
    s.map((x) => x.key.name),
    ["share", "reserve", "limit"],
  );
  assert.equal(s[2]!.values[0], {
    kind: "Quantity",
    value: 1.5,
    unit: "cpus",
    text: "1.5 cpus",
    span: { file: "f.vsc", start: 48, end: 56, line: 2, col: 37, endLine: 2, endCol: 45 },
  });
  assert.equal([cpu.span.line, cpu.span.col, cpu.span.endLine, cpu.span.endCol], [2, 3, 2, 47]);
  assert.equal([cpu.bodySpan.col, cpu.bodySpan.endCol], [7, 47]);
});

test("unknown keys become Unknown statements without swallowing the next statement", () => {
  const r = parseSource("context a { memory { limmit 1GiB  limit 2GiB } }", "t.vsc");
  assert.equal(r.diagnostics, []);
  const mem = (r.file.items[0] as Decl).body[0] as Block;
  assert.equal(
    mem.body.map((s) => s.kind + ":" + (s as Setting).key.name),
    ["Unknown:limmit", "Setting:limit"],
  );
  const u = parseSource("context a { bogus 1, 2 { x 3 } id 1 }", "t.vsc").file.items[0] as Decl;
  assert.equal(
    u.body.map((s) => s.kind),
    ["Unknown", "Setting"],
  );
});

test("allow rules", () => {
  const r = parseSource(
    "context a { net { allow in from 10.0.0.0/8, $lan allow out icmp allow in tcp port 22, 8000-8080 } }",
    "t.vsc",
  );
  assert.equal(r.diagnostics, []);
  const net = (r.file.items[0] as Decl).body[0] as Block;
  assert.equal(net.body.length, 3);
  const a0 = net.body[0]!;
  assert.ok(
    a0.kind === "Allow" && a0.peerKeyword?.name === "from" && a0.peers?.length === 2 && !a0.proto,
  );
  const a2 = net.body[2]!;
  assert.ok(a2.kind === "Allow" && a2.ports?.[1]?.kind === "Range");
});

test("rlimit: one or two values, max, keyword names such as cpu", () => {
  const r = parseSource("context a { rlimit { cpu 10 max  nofile 1024 4096  core 0 } }", "t.vsc");
  assert.equal(r.diagnostics, []);
  const rl = (r.file.items[0] as Decl).body[0] as Block;
  assert.equal(
    rl.body.map((s) => (s as Setting).values.length),
    [2, 2, 1],
  );
  assert.equal((rl.body[0] as Setting).values[1]!.kind, "Max");
});

/** Each syntax code: source, and the exact `line:col CODE` diagnostics expected. */
const codeCases: Array<[string, string, string[]]> = [
  ["VSC1001", "context a {\n  id 1 @\n}", ["2:8 VSC1001"]],
  ["VSC1002", "context Web { id 1 }", ["1:9 VSC1002"]],
  ["VSC1003", 'context a {\n  security { hostname "abc\n  }\n}', ["2:23 VSC1003"]],
  ["VSC1004", 'context a { security { root "a\\nb" } }', ["1:31 VSC1004"]],
  ["VSC1005", 'context a { security { root "a\u0001b" } }', ["1:31 VSC1005"]],
  ["VSC1006", 'context "web" { id 1 }', ["1:9 VSC1006"]],
  ["VSC1007", "context a {\n  cpu { limit }\n}", ["2:15 VSC1007"]],
  ["VSC1008", "context a {\n  memory { 512MiB }\n}", ["2:12 VSC1008"]],
  ["VSC1009", "context a {\n  cpu { share 1 }\n", ["2:18 VSC1009"]],
  ["VSC1010", "contxt a { id 1 }\ncontext b { id 2 }", ["1:1 VSC1010"]],
  ["VSC1011", "context a { cpu { share .5 } }", ["1:25 VSC1011"]],
  ["VSC1012", "context a { net { address 10.0.0.256 } }", ["1:27 VSC1012"]],
  // 63 nested `x {` inside the context's `{` make 64 levels; the 64th `x {` opens level 65.
  ["VSC1013", "context a {\n" + "x { ".repeat(70) + "}".repeat(70) + "\n}", ["2:255 VSC1013"]],
  ["VSC1014", 'context a { security { hostname "' + "a".repeat(5000) + '" } }', ["1:33 VSC1014"]],
  // 100 stray `;` (VSC1001 each), then the 101st stops the file.
  [
    "VSC1015",
    "context a {\n" + "; ".repeat(150) + "}",
    [...Array.from({ length: 100 }, (_, i) => `2:${2 * i + 1} VSC1001`), "2:201 VSC1015"],
  ],
];

for (const [code, src, want] of codeCases) {
  test(`${code} at its exact position`, () => {
    assert.equal(diags(src), want);
  });
}

test("every VSC1xxx code in the catalog has a case above", () => {
  const covered = new Set(codeCases.map((c) => c[0]));
  for (const code of Object.keys(syntaxCodes)) {
    if (code.startsWith("VSC1")) assert.ok(covered.has(code), `${code} has no test`);
    assert.ok(syntaxCodes[code]!.explain.length > 60, `${code} needs an explanation`);
  }
});

test("messages are human sentences", () => {
  const m = (src: string): string[] => parseSource(src, "t.vsc").diagnostics.map((d) => d.message);
  assert.equal(m("context a { cpu { limit } }"), ["expected a value after `limit`, got `}`"]);
  assert.equal(m("context a { net { allow up } }"), [
    "expected `in` or `out` after `allow`, got `up`",
  ]);
  assert.equal(m('context "x" { }'), ["expected a name after `context`, got a string"]);
  assert.equal(m("context a.b { }"), ["`a.b` is not a valid name"]);
  const typo = parseSource("contxt a { id 1 }", "t.vsc").diagnostics[0]!;
  assert.equal(typo.help, "did you mean `context`?");
  const unclosed = parseSource("context a {\n  cpu { share 1 }\n", "t.vsc").diagnostics[0]!;
  assert.equal(unclosed.related?.[0]?.span.line, 1);
  assert.equal(unclosed.related?.[0]?.span.col, 11);
});

test("recovery: one run reports every error and keeps the good items", () => {
  const src = [
    "context Web { id 1 }", // 1: bad name
    "context b {",
    "  cpu { limit }", // 3: missing value
    "  memory { limit 1GiB }",
    "}",
    "contxt c { id 3 }", // 6: top level junk
    "context d {",
    '  security { root "x\\q" }', // 8: bad escape
    "  id 4",
    "}",
    "context e { id 5 }",
  ].join("\n");
  assert.equal(diags(src), ["1:9 VSC1002", "3:15 VSC1007", "6:1 VSC1010", "8:21 VSC1004"]);
  const names = parseSource(src, "t.vsc").file.items.map((i) => (i as Decl).name.name);
  assert.equal(names, ["b", "d", "e"]);
});

test("a stray `}` and garbage between items do not lose later items", () => {
  const r = parseSource("}\ncontext a { id 1 }\n= = =\ncontext b { id 2 }\n", "t.vsc");
  assert.equal(
    r.file.items.map((i) => (i as Decl).name.name),
    ["a", "b"],
  );
  assert.equal(
    r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code}`),
    ["1:1 VSC1010", "3:1 VSC1010"],
  );
});

test("a missing `}` is found at the next item, which is kept", () => {
  const r = parseSource("context a {\n  cpu { share 1 }\ncontext b { id 2 }\n", "t.vsc");
  assert.equal(diags("context a {\n  cpu { share 1 }\ncontext b { id 2 }\n"), ["3:1 VSC1009"]);
  assert.equal(r.diagnostics[0]!.message, "missing `}` to close this declaration before `context`");
  assert.equal(
    r.file.items.map((i) => (i as Decl).name.name),
    ["a", "b"],
  );
});

test("a bad declaration head loses only that declaration", () => {
  const r = parseSource("context a at b { id 1 }\ncontext c { id 3 }\n", "t.vsc");
  assert.equal(diags("context a at b { id 1 }\ncontext c { id 3 }\n"), ["1:11 VSC1006"]);
  assert.equal(
    r.file.items.map((i) => (i as Decl).name.name),
    ["c"],
  );
});

test("empty input and comment-only input", () => {
  assert.equal(diags(""), []);
  const r = parseSource("# just a comment\n", "t.vsc");
  assert.equal([r.file.items.length, r.file.comments.length, r.diagnostics.length], [0, 1, 0]);
});

test.run();
