/**
 * Hostile input (issue #13): each case used to crash vsc (a stack overflow,
 * exit 70) or run for minutes into gigabytes; each now ends in diagnostics
 * with codes, quickly. The inputs are generated here, full size.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LIMITS, parseSource } from "../../src/syntax/parse.js";
import type { Decl } from "../../src/syntax/ast.js";

const codes = (text: string): string[] => parseSource(text, "h.vsc").diagnostics.map((d) => d.code);

/** Runs `f` and returns how long it took, in ms. */
/**
 * CPU time of f in ms (this process's, user + system): the other work on a
 * shared host does not count, as wall time did ("recovery is linear" failed
 * once under load).
 */
function timed(f: () => void): number {
  const s = process.cpuUsage();
  f();
  const d = process.cpuUsage(s);
  return (d.user + d.system) / 1000;
}

test("1,000 nested braces: one VSC1013, the rest of the file still parsed", () => {
  const text =
    "context a {\n" + "x { ".repeat(1000) + "}".repeat(1000) + "\n}\ncontext b { id 2 }\n";
  const r = parseSource(text, "h.vsc");
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC1013"],
  );
  assert.equal(
    r.file.items.map((i) => (i as Decl).name.name),
    ["a", "b"],
  );
});

test("100,000 nested braces, never closed: one VSC1013 and the missing `}`", () => {
  const text = "context a {\n" + "x { ".repeat(100_000);
  assert.equal(codes(text), ["VSC1013", "VSC1009"]);
});

test("nesting up to the limit is fine", () => {
  const depth = LIMITS.depth - 1; // the context's own `{` is the first level
  const text = "context a {\n" + "x { ".repeat(depth) + "}".repeat(depth) + "\n}\n";
  assert.equal(codes(text), []);
});

test("a string of 10 million characters: VSC1014, no stack overflow", () => {
  const text = 'context a {\n  security { hostname "' + "a".repeat(10_000_000) + '" }\n}\n';
  assert.equal(codes(text), ["VSC1014"]);
  // The same without its closing quote, and as one bare word.
  assert.equal(codes('context a { security { hostname "' + "a".repeat(10_000_000) + "\n} }"), [
    "VSC1014",
  ]);
  assert.equal(codes("context a { id " + "1".repeat(10_000_000) + " }"), ["VSC1014"]);
});

test("a token at the length limit is not refused for its length", () => {
  const s = "a".repeat(LIMITS.tokenChars - 2);
  assert.equal(codes(`context a { security { hostname "${s}" } }`), []);
});

test("50 MB of `;` garbage stops after 100 errors with VSC1015, in well under a second", () => {
  for (const unit of ["; ", ";\n"]) {
    const text = unit.repeat(25_000_000);
    let got: string[] = [];
    const ms = timed(() => (got = codes(text)));
    assert.is(got.length, LIMITS.errors + 1);
    assert.is(got[got.length - 1], "VSC1015");
    assert.ok(ms < 5000, `took ${ms} ms`);
  }
});

test("parser errors count too: 100,000 junk items stop at 100 errors", () => {
  const text = "context a { id 1 } = \n".repeat(100_000);
  const got = codes(text);
  assert.is(got.length, LIMITS.errors + 1);
  assert.is(got[got.length - 1], "VSC1015");
});

test("recovery is linear: twice the garbage takes about twice the time, not four times", () => {
  // Junk inside a block (the parser re-synchronises over all of it) and at the top level (skipped
  // to the next item): a few errors, each recovered from over the whole input.
  const make = (n: number) =>
    "context a { " + "= ".repeat(n) + "}\n} " + "x ".repeat(n) + "\ncontext b { id 1 }\n";
  const small = make(200_000);
  const big = make(400_000);
  assert.equal(codes(small), codes(big));
  assert.ok(codes(small).length < 5);
  // The best of three each, interleaved (a pause of the machine hits one sample, not a size).
  let a = Infinity;
  let b = Infinity;
  for (let i = 0; i < 3; i++) {
    a = Math.min(
      a,
      timed(() => codes(small)),
    );
    b = Math.min(
      b,
      timed(() => codes(big)),
    );
  }
  assert.ok(b / a < 3, `200k: ${a.toFixed(0)} ms, 400k: ${b.toFixed(0)} ms`);
});

test.run();
