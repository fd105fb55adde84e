#!/usr/bin/env node
// Thin launcher: `npm ci` (the `prepare` script) compiles and bundles the CLI
// into dist/bundle/ and makes its code cache (bin/load-bundle.js says why).
"use strict";
const { loadBundle, tuneV8 } = require("./load-bundle.js");

tuneV8();
const { main } = loadBundle();

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
