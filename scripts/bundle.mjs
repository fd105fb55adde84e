#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports, dependencies
// included) into one CommonJS file, dist/bundle/main.cjs, with esbuild, then
// makes its V8 code cache, dist/bundle/main.cache (bin/load-bundle.js).
// Why: start-up. Unbundled, a `vsc compile` spends most of its time resolving
// and loading hundreds of modules (CommonJS interop included); one file loads
// in a few milliseconds, and with the code cache its functions need no
// compiling. One file rather than one per command: V8's code cache is made
// per script, and the cache makes the size cost nothing. Tests use tsc's
// dist/src output; the `vsc` binary uses the bundle. The bundle is
// deterministic: no timestamps, no absolute paths.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

// grammar/chevrotain.ts loads Chevrotain's single-file bundle with a dynamic
// import (fast for tsc's unbundled output); in vsc's own bundle the same four
// names come from the package statically, so Chevrotain is part of the one script.
const chevrotainStatic = {
  name: "chevrotain-static",
  setup(b) {
    b.onLoad({ filter: /[\\/]grammar[\\/]chevrotain\.ts$/ }, () => ({
      contents:
        'export { EmbeddedActionsParser, EOF, Lexer, createToken } from "./node_modules/chevrotain/lib/chevrotain.mjs";',
      loader: "ts",
      resolveDir: root,
    }));
  },
};

rmSync(`${root}dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/bundle/main.cjs",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  plugins: [chevrotainStatic],
  // tinyglobby is required on first use (src/cli/source-host.ts).
  external: ["tinyglobby"],
  // import.meta does not exist in CommonJS: the bundle's own file URL stands in.
  define: { "import.meta.url": "__vscFileUrl" },
  banner: { js: 'var __vscFileUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: "none",
  logLevel: "warning",
});

// The bundle's id, its last line: a sha256 of the bundle. The code cache
// carries the same id and bin/load-bundle.js uses it only with this bundle.
const { ID_MARK, bundleFile, cacheFile, loadBundle, tuneV8 } =
  await import("../bin/load-bundle.js");
const id = createHash("sha256").update(readFileSync(bundleFile)).digest("hex");
appendFileSync(bundleFile, `${ID_MARK.slice(1)}${id}\n`);

// The code cache: run what a `vsc compile` and a `vsc check` run, on the
// examples, silently, then save the bytecode of every function compiled.
tuneV8();
const bundle = loadBundle();
const quiet = {
  out() {},
  err() {},
  color: false,
  interactive: false,
  confirm: async () => false,
};
const tmp = mkdtempSync(join(tmpdir(), "vsc-bundle-"));
try {
  for (const argv of [
    ["check", `${root}examples/language.vsc`],
    ["compile", `${root}examples/hosting.vsc`, "-o", join(tmp, "out")],
    ["fmt", "--check", `${root}examples/small.vsc`],
  ]) {
    const code = await bundle.main(argv, quiet);
    if (code !== 0) throw new Error(`bundle check: vsc ${argv[0]} exited ${code}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
writeFileSync(cacheFile, bundle.makeCache());
