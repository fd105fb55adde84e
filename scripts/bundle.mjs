#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports, dependencies
// included) into dist/bundle/ with esbuild, split at the CLI's lazy imports.
// Why: start-up. Unbundled, a `vsc compile` spends most of its time resolving
// and loading hundreds of modules (CommonJS interop included); one file per
// command loads in a few milliseconds. Tests use tsc's dist/src output; the
// `vsc` binary uses the bundle. Deterministic: no timestamps, no absolute paths.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
rmSync(`${root}dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Chevrotain is imported at run time from its own single-file bundle (grammar/chevrotain.ts);
  // tinyglobby is required on first use (src/cli/source-host.ts).
  external: ["chevrotain", "tinyglobby"],
  // CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __vscCreateRequire } from "node:module"; const require = __vscCreateRequire(import.meta.url);',
  },
  legalComments: "none",
  logLevel: "warning",
});
