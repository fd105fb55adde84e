/** The one "did you mean" search, as the syntax, the checker and `vsc exec` use it. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { closest, didYouMean, editDistance } from "../../src/diag/suggest.js";
import { closest as syntaxClosest } from "../../src/syntax/suggest.js";

test("edit distance counts an adjacent transposition as one edit", () => {
  assert.is(editDistance("limti", "limit"), 1);
  assert.is(editDistance("wbe", "web"), 1);
  assert.is(editDistance("", "abc"), 3);
  assert.is(editDistance("kitten", "sitting"), 3);
});

test("closest: within a third of the word (at least 1), case ignored, ties to the earlier candidate", () => {
  assert.is(closest("contxt", ["define", "context", "class"]), "context");
  assert.is(closest("Host", ["define", "host"]), "host");
  assert.is(closest("ab", ["ax", "ay"]), "ax");
  assert.is(closest("ab", ["ay", "ax"]), "ay");
  assert.is(closest("zzzzzz", ["context"]), undefined);
  // The word itself is not a suggestion; a neighbour still is.
  assert.is(closest("cpu", ["cpu", "cpus"]), "cpus");
  assert.is(didYouMean("limmit", ["limit", "reserve"]), 'did you mean "limit"?');
  assert.is(syntaxClosest, closest);
});

test.run();
