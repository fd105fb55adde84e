/** `vsc explain [CODE]`. */
import { catalog, lookupCode } from "../diag/catalog.js";
import type { Io } from "./io.js";

const RANGES: [string, string][] = [
  ["VSC1", "syntax"],
  ["VSC2", "names and references"],
  ["VSC3", "types and units"],
  ["VSC4", "policy: admission, ordering, conflicts"],
  ["VSC5", "plan, apply and the host"],
  ["VSC9", "the command line"],
];

export function cmdExplain(code: string | undefined, io: Io): number {
  if (code === undefined) {
    const codes = Object.keys(catalog).sort();
    for (const [prefix, title] of RANGES) {
      const mine = codes.filter((c) => c.startsWith(prefix));
      if (mine.length === 0) continue;
      io.out(`${prefix}xxx  ${title}\n`);
      for (const c of mine) io.out(`  ${c}  ${catalog[c].title}\n`);
    }
    return 0;
  }
  // `VSC4004`, `vsc4004` and the bare number `4004` all name the same code.
  const name = /^\d+$/.test(code.trim()) ? `VSC${code.trim()}` : code.trim().toUpperCase();
  const info = lookupCode(name);
  if (!info) {
    io.err(
      `error[VSC9001]: unknown diagnostic code \`${code}\`\n  = help: run \`vsc explain\` to list every code\n`,
    );
    return 1;
  }
  io.out(`${name}: ${info.title}\n\n${info.explain.trim()}\n`);
  return 0;
}
