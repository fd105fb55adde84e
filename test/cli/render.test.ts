import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Diagnostic, Span } from "../../src/diag/diagnostic.js";
import { renderHuman, renderJson, renderShort } from "../../src/diag/render.js";

const src = "host h {\n  cpus 2\n}\ncontext web {\n\tcpu { reserve 30% }\n}\n";
const span = (line: number, col: number, len: number): Span => ({
  file: "a.vsc",
  start: 0,
  end: len,
  line,
  col,
  endLine: line,
  endCol: col + len,
});
const d: Diagnostic = {
  code: "VSC4001",
  severity: "error",
  message: "cpu reservations exceed the host's capacity",
  span: span(5, 8, 11),
  label: "brings the total to 2.3 cpus",
  related: [{ span: span(2, 3, 6), label: "capacity 2 cpus" }],
  help: "lower a reservation",
  notes: ["shares can overbook; reservations cannot"],
};
const sources = new Map([["a.vsc", src]]);

test("human: rustc-style header, location, excerpt, caret under the span, related, help", () => {
  const out = renderHuman([d], { color: false, sources, displayPath: (f) => `dir/${f}` });
  const expected = [
    "error[VSC4001]: cpu reservations exceed the host's capacity",
    "  --> dir/a.vsc:5:8",
    "  |",
    "5 |     cpu { reserve 30% }",
    "  |           ^^^^^^^^^^^ brings the total to 2.3 cpus",
    "  ::: dir/a.vsc:2:3",
    "  |",
    "2 |   cpus 2",
    "  |   ------ capacity 2 cpus",
    "  |",
    "  = note: shares can overbook; reservations cannot",
    "  = help: lower a reservation",
    "",
    "error: 1 error emitted",
    "",
  ].join("\n");
  assert.fixture(out, expected);
});

test("human: no colour codes without colour, colour codes with it", () => {
  assert.not.match(renderHuman([d], { color: false, sources }), /\x1b\[/);
  assert.match(renderHuman([d], { color: true, sources }), /\x1b\[/);
});

test("short: one line per diagnostic and per related span", () => {
  assert.is(
    renderShort([d], { color: false, sources }),
    "a.vsc:5:8: error[VSC4001]: cpu reservations exceed the host's capacity (brings the total to 2.3 cpus)\n" +
      "a.vsc:2:3: note[VSC4001]: capacity 2 cpus\n",
  );
});

test("json: parseable, with display paths and 1-based positions", () => {
  const parsed = JSON.parse(
    renderJson([d], { color: false, sources, displayPath: (f) => `x/${f}` }),
  );
  assert.is(parsed[0].code, "VSC4001");
  assert.is(parsed[0].span.file, "x/a.vsc");
  assert.is(parsed[0].span.line, 5);
  assert.is(parsed[0].related[0].span.col, 3);
});

test("a diagnostic without a span renders without an excerpt", () => {
  const out = renderHuman(
    [{ code: "VSC2010", severity: "error", message: "no host", help: "add one" }],
    {
      color: false,
      sources,
    },
  );
  assert.is(out, "error[VSC2010]: no host\n  = help: add one\n\nerror: 1 error emitted\n");
});

test("lines end at \\n, \\r\\n or a lone \\r, as in the lexer", () => {
  const text = "a\r\nbb\rccc\nd";
  const at = (line: number, col: number): Diagnostic => ({
    code: "VSC1001",
    severity: "error",
    message: "m",
    span: { file: "x.vsc", start: 0, end: 1, line, col, endLine: line, endCol: col + 1 },
  });
  const shown = (line: number) =>
    renderHuman([at(line, 1)], { color: false, sources: new Map([["x.vsc", text]]) }).split(
      "\n",
    )[3];
  assert.is(shown(1), "1 | a");
  assert.is(shown(2), "2 | bb");
  assert.is(shown(3), "3 | ccc");
  assert.is(shown(4), "4 | d");
});

test("the excerpt escapes control and invisible characters as the message does; the caret follows", () => {
  // ESC [31m, a NUL, a right-to-left override (U+202E), then the span `sharez` after a tab.
  const line = "  cpu { \x1b[31m \x00 \u202e\tsharez 1 }";
  const text = `host h {\n}\ncontext a {\n${line}\n}\n`;
  const col = line.indexOf("sharez") + 1;
  const out = renderHuman(
    [
      {
        code: "VSC2022",
        severity: "error",
        message: 'unknown field "sharez" in cpu',
        span: { ...span(4, col, 6), file: "c.vsc" },
      },
    ],
    { color: false, sources: new Map([["c.vsc", text]]) },
  );
  assert.not.match(out, /[\x00-\x08\x0b-\x1f\x7f\u202e]/);
  const shown = "  cpu { U+001B[31m U+0000 U+202E    sharez 1 }";
  const lines = out.split("\n");
  const i = lines.indexOf(`4 | ${shown}`);
  assert.ok(i > 0, out);
  assert.is(lines[i + 1], `  | ${" ".repeat(shown.indexOf("sharez"))}^^^^^^`);
});

test("a caret on an escaped character covers its whole escape", () => {
  const text = "a\x1bb\n";
  const out = renderHuman(
    [
      {
        code: "VSC1001",
        severity: "error",
        message: "x",
        span: { ...span(1, 2, 1), file: "e.vsc" },
      },
    ],
    { color: false, sources: new Map([["e.vsc", text]]) },
  );
  assert.match(out, /1 \| aU\+001Bb\n  \|  \^{6}\n/);
});
test("human: a very long line is cut to a window around the span, caret still under it", () => {
  const line = "x".repeat(500_000) + "BAD" + "y".repeat(500_000);
  const sources = new Map([["big.vsc", line + "\n"]]);
  const out = renderHuman(
    [
      {
        code: "VSC1001",
        severity: "error",
        message: "bad",
        span: { ...span(1, 500_001, 3), file: "big.vsc" },
      },
    ],
    { color: false, sources },
  );
  assert.ok(out.length < 1000, `${out.length} characters`);
  const rows = out.split("\n");
  const text = rows.find((r) => r.startsWith("1 | "))!;
  const caret = rows[rows.indexOf(text) + 1]!;
  assert.ok(text.startsWith("1 | ...") && text.endsWith("..."), text);
  assert.is(text.indexOf("BAD"), caret.indexOf("^^^"));
});

test.run();
