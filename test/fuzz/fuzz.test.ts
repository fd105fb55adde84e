import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkOne, fuzz, hostile, rng, spanProblem } from "./fuzz.js";
import { seedTexts } from "./seeds.js";

// The seed set that runs in `npm test`; `npm run bench -- fuzz` runs 10,000 cases.
const CASES = 400;

test("the seeds themselves end in an IR or valid diagnostics", () => {
  for (const s of seedTexts()) assert.is(checkOne(s), undefined);
});

test(`${CASES} mutated and random inputs end in an IR or diagnostics with valid spans`, () => {
  const failures = fuzz(seedTexts(), CASES, 7);
  assert.equal(
    failures.map((f) => `${f.problem}\n  input: ${JSON.stringify(f.input.slice(0, 300))}`),
    [],
  );
});

test("60 hostile inputs (deep nesting, huge tokens, floods of errors) end in valid diagnostics", () => {
  const r = rng(13);
  const seeds = seedTexts();
  for (let i = 0; i < 60; i++) {
    const input = hostile(r, i % 2 ? seeds[i % seeds.length] : "");
    const problem = checkOne(input);
    assert.is(problem, undefined, `${problem}\n  input: ${JSON.stringify(input.slice(0, 200))}`);
  }
});

test("the span validator rejects spans that do not match their file", () => {
  const files = new Map([["a.vsc", "ab\ncd\n"]]);
  const span = { file: "a.vsc", start: 3, end: 5, line: 2, col: 1, endLine: 2, endCol: 3 };
  assert.is(spanProblem(span, files), undefined);
  assert.match(spanProblem({ ...span, col: 2 }, files)!, /line:col 2:2 but offset 3 is 2:1/);
  assert.match(spanProblem({ ...span, end: 99 }, files)!, /outside/);
  assert.match(spanProblem({ ...span, file: "b.vsc" }, files)!, /unknown file/);
  assert.match(spanProblem({ ...span, endLine: 1 }, files)!, /before start/);
});

test.run();
