// Removes tsc's output directories before a build (npm run build): tsc is not
// incremental here and never deletes, so a test whose source was deleted or
// renamed would otherwise stay in dist/test and still run under uvu.
import { rmSync } from "node:fs";

const root = new URL("../dist/", import.meta.url);
for (const d of ["grammar", "src", "test", "bench"])
  rmSync(new URL(`${d}/`, root), { recursive: true, force: true });
