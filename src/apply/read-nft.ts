/**
 * Is `table inet vsc` loaded, and which ruleset? Listing the table is not an
 * option at scale (nft 1.0.6 resolves every `socket cgroupv2` rule's cgroup
 * id back to a path: ~16-25 s per 1,000 rules), so the emitted ruleset keeps a
 * digest of itself in a chain comment, `comment "vsc:<sha256>"`, and this
 * reads only the table and chain headers (`list chains` prints no rules).
 */
import type { ObservedNft } from "../plan/types.js";
import type { Kernel } from "./kernel.js";
import { KernelError } from "./kernel.js";

export function readNft(kernel: Kernel): ObservedNft {
  // `list tables` (every family) rides in the same process: a rollback is checked against it.
  const r = kernel.run("nft", ["-f", "-"], "list tables\nlist chains inet\n");
  if (r.status !== 0)
    throw new KernelError("nft list chains inet", r.stderr.trim() || `exit ${r.status}`);
  return parseNftHeaders(r.stdout);
}

export function parseNftHeaders(text: string): ObservedNft {
  const lines = text.split("\n");
  const present = lines.some((l) => /^table inet vsc(\s*\{)?\s*$/.test(l));
  let inVsc = false;
  let digest: string | undefined;
  for (const l of lines) {
    if (/^table /.test(l)) inVsc = /^table inet vsc\s*\{/.test(l);
    else if (/^\}/.test(l)) inVsc = false;
    else if (inVsc && !digest) {
      const m = /comment "vsc:([0-9a-f]+)"/.exec(l);
      if (m) digest = m[1];
    }
  }
  const tables = lines
    .map((l) => /^table (\S+) (\S+)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
  return { present, ...(digest ? { digest } : {}), tables: [...new Set(tables)].sort() };
}

/** The whole table as text: slow at scale, used only to undo a load when no saved copy exists. */
export function listNftTable(kernel: Kernel): string | undefined {
  const r = kernel.run("nft", ["list", "table", "inet", "vsc"]);
  return r.status === 0 ? r.stdout : undefined;
}
