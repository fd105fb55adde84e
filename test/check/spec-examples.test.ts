/**
 * language.md's own examples: the assembled file checks without errors, and
 * each "Errors" example appended to it fails exactly as the spec describes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { at, checkText, fixture, summary } from "./helpers.js";

const base = fixture("examples/language.vsc");

test("examples/language.vsc checks with no diagnostics and produces IR", () => {
  const r = checkText(base);
  assert.equal(summary(r.diagnostics), []);
  assert.ok(r.ir);
  assert.equal(
    r.ir!.nodes.map((n) => n.path),
    ["batch", "web-tier", "web-tier/web"],
  );
});

test("error-admission: the root's cpu reservations total 2.3 cpus on a 2-cpu host", () => {
  const r = checkText(base + fixture("test/spec/error-admission.vsc.part"));
  assert.equal(summary(r.diagnostics), ["VSC4003@75:9"]);
  const d = r.diagnostics[0]!;
  assert.is(r.ir, undefined);
  assert.is(
    d.message,
    "cpu reservations under the root total 2.3 cpus, more than the host's 2 cpus",
  );
  assert.match(d.label!, /0\.6 cpus/);
  // keep 10% (0.2), web-tier's reserve 25% (0.5), batch's whole core (1), then the capacity line.
  assert.equal(
    d.related!.map((r) => `${r.span.line}:${r.span.col} ${r.label}`),
    [
      "9:3 keep 0.2 cpus for the host",
      "22:18 web-tier reserves 0.5 cpus",
      "71:9 batch takes 1 whole core (1 cpu)",
      "5:3 the host has 2 cpus",
    ],
  );
  assert.equal(d.notes, ["0.2 + 0.5 + 1 + 0.6 = 2.3 cpus, more than 2 cpus"]);
  // The primary span is exactly `reserve 30%`.
  assert.is(d.span!.endCol - d.span!.col, "reserve 30%".length);
});

test("error-typo: limmit is an unknown field at its own line, with a suggestion", () => {
  const r = checkText(base + fixture("test/spec/error-typo.vsc.part"));
  assert.equal(summary(r.diagnostics), ["VSC2022@75:12"]);
  assert.is(r.diagnostics[0]!.help, 'did you mean "limit"?');
});

test("error-units: 512M asks for MiB or MB; 512MiB in a link names both kinds", () => {
  const r = checkText(base + fixture("test/spec/error-units.vsc.part"));
  assert.equal(summary(r.diagnostics), ["VSC3002@75:18", "VSC3003@76:27"]);
  const [m, kind] = r.diagnostics;
  assert.match(m!.help!, /512MiB/);
  assert.match(m!.help!, /512MB/);
  assert.is(kind!.message, "net link eth0 limit expects a bit rate, got bytes");
  assert.is(at(kind), "76:27");
});

test("all three error examples at once report all of them", () => {
  const parts = ["admission", "typo", "units"].map((p) => fixture(`test/spec/error-${p}.vsc.part`));
  const r = checkText(base + parts.join(""));
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC4003", "VSC2022", "VSC3002", "VSC3003"],
  );
});

test.run();
