import { readFileSync } from "node:fs";
import { globSync } from "tinyglobby";
import type { SourceHost } from "../syntax/load.js";

/**
 * The real file system behind the loader. Globs never follow the pattern
 * outside what it names (no `..` expansion beyond what is written) and return
 * paths relative to `cwd`, sorted by the loader.
 */
export function fsSourceHost(): SourceHost {
  return {
    readFile(path: string): string | undefined {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    glob(pattern: string, cwd: string): string[] {
      return globSync(pattern, { cwd, onlyFiles: true, expandDirectories: false, dot: false });
    },
  };
}
