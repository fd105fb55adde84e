/** parseSource's one-pass streaming path gives exactly what the whole-file path gives. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateConfig } from "../../bench/gen-config.js";
import { parseSource, parseWhole } from "../../src/syntax/parse.js";

test("a file of many chunks: same AST, comments and diagnostics", () => {
  // 300 contexts are ~12,000 tokens: several chunks of 4,096.
  const text = generateConfig(300).replace(/^context ctx-7 /m, "# a comment\ncontext ctx-7 ");
  const streamed = parseSource(text, "main.vsc");
  const whole = parseWhole(text, "main.vsc");
  assert.is(streamed.file.items.length, 300 + 3 + 3);
  assert.equal(streamed, whole);
});

test("a syntax error in a late chunk: every diagnostic, as the whole-file path reports it", () => {
  const text = generateConfig(300).replace(
    "context ctx-290 in tier-2 {",
    "context ctx-290 in tier-2 {{",
  );
  const r = parseSource(text, "main.vsc");
  assert.ok(r.diagnostics.length > 0);
  assert.equal(r, parseWhole(text, "main.vsc"));
});

test("lexer issues without parse errors are reported by the streaming path", () => {
  const text = generateConfig(2, { cgroupRoot: "a\\qb" });
  const r = parseSource(text, "main.vsc");
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC1004"],
  );
  assert.equal(r, parseWhole(text, "main.vsc"));
});

test.run();
