#!/usr/bin/env node
// Thin launcher: `npm ci` (the `prepare` script) compiles and bundles the CLI into dist/bundle/.
import { setFlagsFromString } from "node:v8";

// Start-up tuning, set before any of vsc's code is loaded. V8 hands a function
// to its optimising compiler after an "interrupt budget" of executed bytecode
// (132 KB by default). A `vsc` run is short: with the default, the compiler
// spends its first few hundred milliseconds optimising (and deoptimising)
// functions the run is almost done with. A larger budget optimises only what
// stays hot. Measured with `npm run bench -- compile` (2-core box, median of 7):
// 1,000 contexts 0.46 -> 0.36 s, 10,000 contexts 1.97 -> 1.84 s; 100 to 4,000
// KB were tried, 500 KB was best at both sizes. An operator's own
// --interrupt-budget (NODE_OPTIONS or the command line) wins.
const own = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) =>
  a.includes("--interrupt-budget"),
);
if (!own) setFlagsFromString("--interrupt-budget=500000");

const { main } = await import("../dist/bundle/main.js");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Only internal bugs reach here; user errors are diagnostics with exit code 1.
    process.stderr.write(
      `vsc: internal error (a bug in vsc, please report it):\n${err && err.stack ? err.stack : err}\n`,
    );
    process.exitCode = 70;
  },
);
