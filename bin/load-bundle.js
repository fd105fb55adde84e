// Loads the CLI bundle (dist/bundle/main.cjs) with V8's code cache
// (dist/bundle/main.cache), for bin/vsc.js and for the build that makes the
// cache (scripts/bundle.mjs). CommonJS, like everything in bin/
// (bin/package.json): Node's ES module loader costs a `vsc` process about
// 157 M instructions to start, a CommonJS entry almost none.
//
// What the cache saves: a `vsc` process spends a large part of its time
// compiling JavaScript (vsc's, Chevrotain's, Handlebars'), once per process.
// The cache holds the bytecode of every function that a `check`, a `compile`
// and a `fmt` of the examples ran, made at build time; V8 uses it instead of
// compiling. Measured (issue #14, 2026-12-06; instructions of one cold
// process under valgrind, V8 --single-threaded with a cache made under the
// same flag): `vsc compile` of 1,000 contexts 3,272 M (ES module chunks, no
// cache) -> 3,080 M (cache, ES module entry) -> 2,923 M (cache, CommonJS
// entry: -10.7%); of examples/hosting.vsc 1,145 M -> 1,002 M (-12.5%).
// Node 22's module compile cache does the same; Node 20, which vsc supports,
// has only this API.
//
// Safe by construction: V8 rejects a cache made by another V8 version or
// under other V8 flags (an operator's own --interrupt-budget, say), and V8's
// own check of the source compares only its length, so this loader uses a
// cache only when its first line names the same bundle id as the bundle's
// last line (a sha256 of the bundle, both written by scripts/bundle.mjs;
// hashing the 1.8 MB bundle here instead would cost 5 ms a run). Rejected or
// absent, vsc runs the same code, only slower.
"use strict";
const { readFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { setFlagsFromString } = require("node:v8");
const { Script } = require("node:vm");

const dir = join(__dirname, "..", "dist", "bundle");
const bundleFile = join(dir, "main.cjs");
const cacheFile = join(dir, "main.cache");
/** The bundle's last line: `//# vsc-bundle <sha256 of everything before it>`. */
const ID_MARK = "\n//# vsc-bundle ";

/**
 * V8 settings, set before any of vsc's code is loaded (and before the code
 * cache is made: V8 accepts a cache only under the flags it was made with).
 *
 * V8 hands a function to its optimising compiler after an "interrupt budget"
 * of executed bytecode (132 KB by default). A `vsc` run is short: with the
 * default, the compiler spends its first few hundred milliseconds optimising
 * (and deoptimising) functions the run is almost done with. A larger budget
 * optimises only what stays hot. Measured with `npm run bench -- compile`
 * (2-core box, median of 7): 1,000 contexts 0.46 -> 0.36 s, 10,000 contexts
 * 1.97 -> 1.84 s; 100 to 4,000 KB were tried, 500 KB was best at both sizes.
 * An operator's own --interrupt-budget (NODE_OPTIONS or the command line) wins.
 */
function tuneV8() {
  const own = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) =>
    a.includes("--interrupt-budget"),
  );
  if (!own) setFlagsFromString("--interrupt-budget=500000");
}

/** The id on the bundle's last line ("" if it has none). */
function bundleId(source) {
  const at = source.lastIndexOf(ID_MARK);
  return at < 0 ? "" : source.slice(at + ID_MARK.length).trim();
}

/**
 * Runs the bundle as CommonJS (as Node's own loader would) and returns its
 * exports, whether the cache was used, and a maker of the cache.
 */
function loadBundle() {
  const source = readFileSync(bundleFile, "utf8");
  const id = bundleId(source);
  let cachedData;
  try {
    const c = readFileSync(cacheFile);
    const nl = c.indexOf(10);
    if (id !== "" && nl > 0 && c.toString("latin1", 0, nl) === id) cachedData = c.subarray(nl + 1);
  } catch {
    // No cache (a build without one): compile as usual.
  }
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: bundleFile, cachedData },
  );
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundleFile), module, bundleFile, dir);
  return {
    main: module.exports.main,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    /** The cache file's bytes: the bundle id, a newline, V8's data. */
    makeCache: () => Buffer.concat([Buffer.from(`${id}\n`, "latin1"), script.createCachedData()]),
  };
}

module.exports = { ID_MARK, bundleFile, cacheFile, loadBundle, tuneV8 };
