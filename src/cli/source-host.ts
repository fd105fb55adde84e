import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Tinyglobby from "tinyglobby";
import { readInputFile } from "../safe-fs.js";
import type { HostRead, SourceHost } from "../syntax/loader.js";

/**
 * tinyglobby (with picomatch and fdir, ~75 KB) is loaded on the first glob:
 * most runs have no glob include, and loading it cost ~5 ms of every start.
 * It stays outside the CLI's bundle (scripts/bundle.mjs) for the same reason.
 */
let globSync: typeof Tinyglobby.globSync | undefined;
const load = (): typeof Tinyglobby.globSync =>
  (globSync ??= (createRequire(import.meta.url)("tinyglobby") as typeof Tinyglobby).globSync);

/**
 * The real file system behind the loader. Globs never follow the pattern
 * outside what it names (no `..` expansion beyond what is written) and return
 * paths relative to `cwd`, sorted by the loader.
 */
export function fsSourceHost(): SourceHost {
  return {
    readFile(path: string, maxBytes: number): HostRead {
      // Regular files only, size from fstat before reading: a FIFO or /dev/zero never hangs.
      const r = readInputFile(path, maxBytes);
      return r.ok ? { ok: true, text: r.text, realPath: r.realPath } : r;
    },
    realPath(dir: string): string | undefined {
      try {
        return realpathSync(dir);
      } catch {
        return undefined;
      }
    },
    glob(pattern: string, cwd: string): string[] {
      return load()(pattern, { cwd, onlyFiles: true, expandDirectories: false, dot: false });
    },
  };
}
