/** `vsc check` and `vsc compile`. */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { emitArtifacts, emitTarget } from "../emit/index.js";
import type { DiagFormat, Io } from "./io.js";
import { diagnosticsAsJson, loadAndCheck, printDiagnostics } from "./frontend.js";

/** Artifact names by --target. */
export const TARGETS = {
  cgroup: "cgroup.sh",
  nft: "ruleset.nft",
  tc: "tc.batch",
  json: "plan.json",
} as const;
export type Target = keyof typeof TARGETS;

/**
 * Each file is checked as its own program. With `--format json` the
 * diagnostics of all files go out as one JSON array (one document on stdout,
 * whatever the number of files); each element's span names its file.
 */
export async function cmdCheck(files: string[], format: DiagFormat, io: Io): Promise<number> {
  let code = 0;
  const json: object[] = [];
  for (const f of files) {
    const r = await loadAndCheck(f, io, format, format !== "json");
    if (!r.ir) code = 1;
    if (format === "json") json.push(...diagnosticsAsJson(r.diagnostics, r.sources, f));
  }
  if (format === "json") io.out(JSON.stringify(json, null, 2) + "\n");
  return code;
}

function cliError(code: string, message: string, help: string): Diagnostic {
  return { code, severity: "error", message, help };
}

export async function cmdCompile(
  file: string,
  o: { out: string; target?: string; format: DiagFormat },
  io: Io,
): Promise<number> {
  const fail = (d: Diagnostic) => {
    printDiagnostics([d], new Map(), file, o.format, io);
    return 1;
  };
  if (o.out === "-" && !o.target) {
    return fail(
      cliError(
        "VSC9002",
        "`-o -` writes one artifact to stdout, but no --target was given",
        "add --target cgroup|nft|tc|json, or name an output directory",
      ),
    );
  }
  const { ir } = await loadAndCheck(file, io, o.format);
  if (!ir) return 1;

  if (o.out === "-") {
    io.out(emitTarget(ir, o.target as Target));
    return 0;
  }
  const artifacts: Record<string, string> = o.target
    ? { [TARGETS[o.target as Target]]: emitTarget(ir, o.target as Target) }
    : emitArtifacts(ir);
  try {
    mkdirSync(o.out, { recursive: true });
    for (const name of Object.keys(artifacts).sort()) {
      // Write then rename, so a reader never sees half a script.
      const path = join(o.out, name);
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, artifacts[name]);
      if (name.endsWith(".sh")) chmodSync(tmp, 0o755);
      renameSync(tmp, path);
    }
  } catch (e) {
    return fail(
      cliError(
        "VSC9003",
        `cannot write the artifacts to ${o.out}: ${(e as Error).message}`,
        "check that the directory is writable, or choose another with -o",
      ),
    );
  }
  if (o.format !== "json") {
    io.err(`wrote ${Object.keys(artifacts).sort().join(", ")} to ${o.out}\n`);
  }
  return 0;
}
