/**
 * Hostile nesting the checker must refuse with a diagnostic, never a stack
 * overflow (issue #13): a class chain of 2,000 and a define chain of 5,000.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_DEFINE_DEPTH } from "../../src/check/defines.js";
import { MAX_TREE_DEPTH } from "../../src/check/hierarchy.js";
import { HOST, checkText } from "./helpers.js";

test("a class chain of 2,000: VSC2034 at the first class past the limit, no IR", () => {
  let src = `${HOST}class c0 {}\n`;
  for (let i = 1; i < 2000; i++) src += `class c${i} in c${i - 1} {}\n`;
  src += "context x in c1999 { id 1 }\n";
  const r = checkText(src);
  assert.is(r.ir, undefined);
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC2034"],
  );
  assert.match(
    r.diagnostics[0]!.message,
    new RegExp(`"c${MAX_TREE_DEPTH}" is ${MAX_TREE_DEPTH + 1} levels deep`),
  );
});

test("a chain exactly at the limit checks clean", () => {
  let src = `${HOST}class c1 {}\n`;
  for (let i = 2; i < MAX_TREE_DEPTH; i++) src += `class c${i} in c${i - 1} {}\n`;
  src += `context x in c${MAX_TREE_DEPTH - 1} { id 1 }\n`;
  const r = checkText(src);
  assert.equal(r.diagnostics, []);
  assert.ok(r.ir);
});

test("a define chain of 5,000: VSC2035 where it passes the limit, no IR", () => {
  let src = `${HOST}define d0 = 1\n`;
  for (let i = 1; i < 5000; i++) src += `define d${i} = $d${i - 1}\n`;
  src += "context x { id 1  pids { limit $d4999 } }\n";
  const r = checkText(src);
  assert.is(r.ir, undefined);
  assert.ok(r.diagnostics.some((d) => d.code === "VSC2035"));
  let ok = `${HOST}define d0 = 7\n`;
  for (let i = 1; i < MAX_DEFINE_DEPTH; i++) ok += `define d${i} = $d${i - 1}\n`;
  ok += `context x { id 1  pids { limit $d${MAX_DEFINE_DEPTH - 1} } }\n`;
  assert.equal(checkText(ok).diagnostics, []);
});

test.run();
