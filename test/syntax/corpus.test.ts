/**
 * The one parser against the corpus (corpus.ts): the same parse, byte for
 * byte, as the two parsers it replaced; and no diagnostic on valid input.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { parseSource } from "../../src/syntax/parse.js";
import { corpus, digests, validTexts } from "./corpus.js";

test("valid texts (examples, every statement, several chunks) parse with no diagnostic", () => {
  for (const text of validTexts())
    assert.equal(parseSource(text, "main.vsc").diagnostics, [], text.slice(0, 200));
});

test("7,000 texts parse exactly as before (AST, spans, comments, diagnostics)", () => {
  const want = readFileSync(join(packageRoot(), "test/syntax/corpus.expected"), "utf8")
    .trim()
    .split("\n");
  const got = digests(corpus(), (text) => parseSource(text, "main.vsc"));
  const differ = got.filter((line, i) => line !== want[i]);
  assert.is(got.length, want.length);
  assert.equal(differ, [], `cases whose parse changed (index ranges): ${differ.join(", ")}`);
});

test.run();
