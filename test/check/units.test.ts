/** Unit conversion: exact arithmetic, the `%`/`0`/bare-number rules, and the hints. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Diagnostic } from "../../src/diag/diagnostic.js";
import type { NumberLit, Quantity } from "../../src/syntax/ast.js";
import { editDistance, closest } from "../../src/diag/suggest.js";
import { formatBitrate, formatBytes, formatCpu } from "../../src/check/format-units.js";
import { type Kind, convert } from "../../src/check/units.js";

const span = { file: "t.vsc", start: 0, end: 1, line: 1, col: 1, endLine: 1, endCol: 2 };

/** Lexes "512MiB" / "1.5 cpus" / "0" the way the parser's AST holds them. */
function lit(text: string): NumberLit | Quantity {
  const m = /^(\d+(?:\.\d+)?)\s*(.*)$/.exec(text)!;
  if (m[2] === "") return { kind: "Number", value: Number(m[1]), text, span };
  return { kind: "Quantity", value: Number(m[1]), unit: m[2]!, text, span };
}

function conv(text: string, kind: Kind, hostMillicpus = 2000): number | Diagnostic {
  const ds: Diagnostic[] = [];
  const v = convert(lit(text), kind, { what: "x", hostMillicpus, report: (d) => ds.push(d) });
  return v ?? ds[0]!;
}

const code = (x: number | Diagnostic) => (typeof x === "number" ? x : x.code);

test("exact conversions to base units", () => {
  assert.is(conv("1.1cpus", "cpu"), 1100);
  assert.is(conv("1.5 cpus", "cpu"), 1500);
  assert.is(conv("250m", "cpu"), 250);
  assert.is(conv("25%", "cpu"), 500, "% is of the host's cpus");
  assert.is(conv("33.3%", "cpu", 1000), 333);
  assert.is(conv("0.05%", "cpu", 1000), 1, "% rounds half up to a millicpu");
  assert.is(conv("512MiB", "bytes"), 512 * 2 ** 20);
  assert.is(conv("1.5GiB", "bytes"), 1.5 * 2 ** 30);
  assert.is(conv("100MB", "bytes"), 100e6);
  assert.is(conv("4096", "bytes"), 4096);
  assert.is(conv("400mbit", "bitrate"), 400e6);
  assert.is(conv("1.5gbit", "bitrate"), 1.5e9);
  assert.is(conv("50MB/s", "byterate"), 50e6);
  assert.is(conv("20MiB/s", "byterate"), 20 * 2 ** 20);
  assert.is(conv("20ms", "time"), 20000);
  assert.is(conv("1.5s", "time"), 1_500_000);
  assert.is(conv("0", "bitrate"), 0, "zero needs no unit");
  assert.is(conv("0", "cpu"), 0);
});

test("refusals carry the right codes", () => {
  assert.is(code(conv("1.5B", "bytes")), "VSC3005");
  assert.is(code(conv("0.5m", "cpu")), "VSC3005");
  assert.is(code(conv("1.5", "bytes")), "VSC3004");
  assert.is(code(conv("2", "cpu")), "VSC3004");
  assert.is(code(conv("1.5", "count")), "VSC3005");
  assert.is(code(conv("150%", "cpu")), "VSC3006");
  assert.is(code(conv("10%", "bytes")), "VSC3003");
  assert.is(code(conv("1s", "bytes")), "VSC3003");
  assert.is(code(conv("99999999TiB", "bytes")), "VSC3006");
  assert.is(code(conv("2GIB", "bytes")), "VSC3001");
});

test("ambiguous prefixes get hints for the expected kind", () => {
  const m = conv("512M", "bytes") as Diagnostic;
  assert.is(m.code, "VSC3002");
  assert.match(m.help!, /512MiB .*512MB/);
  const g = conv("1G", "bitrate") as Diagnostic;
  assert.match(g.help!, /1gbit/);
  const mbps = conv("100mbps", "bitrate") as Diagnostic;
  assert.is(mbps.code, "VSC3002");
  assert.match(mbps.help!, /100mbit.*megabytes per second/);
  const dockerish = conv("512m", "bytes") as Diagnostic;
  assert.is(dockerish.code, "VSC3002", "512m of memory is not 512 millicpus");
  const k = conv("10k", "byterate") as Diagnostic;
  assert.match(k.help!, /10KiB\/s .*10KB\/s/);
});

test("wrong kind names both kinds", () => {
  const d = conv("512MiB", "bitrate") as Diagnostic;
  assert.is(d.message, "x expects a bit rate, got bytes");
  const c = conv("2cpus", "bytes") as Diagnostic;
  assert.is(c.message, "x expects bytes, got a cpu amount");
});

test("edit distance and suggestions", () => {
  assert.is(editDistance("limmit", "limit"), 1);
  assert.is(editDistance("limti", "limit"), 1, "a transposition is one edit");
  assert.is(editDistance("", "abc"), 3);
  assert.is(closest("limmit", ["reserve", "low", "high", "limit", "swap"]), "limit");
  assert.is(closest("xyz", ["reserve", "limit"]), undefined);
});

test("formatting for messages", () => {
  assert.is(formatCpu(2300), "2.3 cpus");
  assert.is(formatCpu(1000), "1 cpu");
  assert.is(formatBytes(7.5 * 2 ** 30), "7.5GiB");
  assert.is(formatBytes(512), "512B");
  assert.is(formatBitrate(400e6), "400mbit");
});

test.run();
