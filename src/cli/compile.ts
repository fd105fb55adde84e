/** `vsc check` and `vsc compile`. */
import { closeSync, fchmodSync, lstatSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Diagnostic, hasErrors } from "../diag/diagnostic.js";
import { printItems } from "../fmt/format.js";
import { hostPrograms } from "../check/index.js";
import { desiredState, emitArtifacts, emitTarget } from "../emit/index.js";
import { systemdArtifacts } from "../emit/systemd.js";
import type { VscIr } from "../ir/types.gen.js";
import { ensureDir, generatedFiles, removeEntry, writeUnitFile } from "../systemd/unit-dir.js";
import { openDirNoFollow, writeFileReplacing } from "../safe-fs.js";
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
 * Modes of the artifacts, set with fchmod (the umask plays no part): the
 * script is executable, everything is readable by all and writable only by
 * its owner (docs/security.md).
 */
export const artifactMode = (name: string): number => (name.endsWith(".sh") ? 0o755 : 0o644);

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
    // A fleet checked whole builds no IR (that needs --host): errors decide.
    if (hasErrors(r.diagnostics)) code = 1;
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
  o: { out: string; target?: string; format: DiagFormat; host?: string },
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
        "add --target cgroup|nft|tc|json|vsc, or name an output directory",
      ),
    );
  }
  if (o.target === "vsc" && o.host === undefined && o.out !== "-")
    return compileAllHosts(file, o, io, fail);
  const checkOpts =
    o.host === undefined ? { needOneHost: true } : { needOneHost: true, host: o.host };
  const { ir, hostProgram } = await loadAndCheck(file, io, o.format, true, checkOpts);
  if (!ir) return 1;

  if (o.target === "vsc") {
    // The host's configuration as one self-contained file (docs/fleet.md).
    const text = vscHeader(ir.host.name, ir.entry) + printItems(hostProgram!.items);
    if (o.out === "-") {
      io.out(text);
      return 0;
    }
    return writeArtifacts(o.out, { [`${ir.host.name}.vsc`]: text }, o.format, io, fail);
  }
  if (o.out === "-") {
    io.out(emitTarget(ir, o.target as Target));
    return 0;
  }
  const artifacts: Record<string, string> = o.target
    ? { [TARGETS[o.target as Target]]: emitTarget(ir, o.target as Target) }
    : emitArtifacts(ir);
  const systemdIr = !o.target && ir.host.driver === "systemd" ? ir : undefined;
  return writeArtifacts(o.out, artifacts, o.format, io, fail, systemdIr);
}

/** The header of a host's `--target vsc` file: no path, no time (deterministic). */
const vscHeader = (host: string, entry: string) =>
  `# host ${host} of ${entry}: its whole configuration, made by \`vsc compile --target vsc\`\n\n`;

/**
 * `vsc compile FLEET --target vsc -o DIR` (no --host): every host's file,
 * HOST.vsc, from one check of the whole fleet (what the Ansible collection
 * runs once per play on the controller, docs/fleet.md).
 */
async function compileAllHosts(
  file: string,
  o: { out: string; format: DiagFormat },
  io: Io,
  fail: (d: Diagnostic) => number,
): Promise<number> {
  const r = await loadAndCheck(file, io, o.format, true, {});
  if (hasErrors(r.diagnostics) || !r.program) return 1;
  const files: Record<string, string> = {};
  const entry = r.program.files[0]?.file ?? "";
  for (const [host, p] of hostPrograms(r.program))
    files[`${host}.vsc`] = vscHeader(host, entry) + printItems(p.items);
  return writeArtifacts(o.out, files, o.format, io, fail);
}

function writeArtifacts(
  out: string,
  artifacts: Record<string, string>,
  format: DiagFormat,
  io: Io,
  fail: (d: Diagnostic) => number,
  /** Under driver systemd, the IR whose units go to `systemd/` too. */
  systemdIr?: VscIr,
): number {
  const o = { out, format };
  // Without its trailing slash, so that a symlink at the name is seen, not followed.
  const outDir = o.out.replace(/(.)\/+$/, "$1");
  let notDir: string | undefined;
  try {
    notDir = makeOutputDir(outDir);
  } catch (e) {
    return fail(cannotWrite(o.out, e));
  }
  if (notDir)
    return fail(
      cliError(
        "VSC9010",
        `the output directory ${o.out} is ${notDir}`,
        "vsc writes only into a real directory: name the directory itself, or another one with -o",
      ),
    );
  try {
    for (const name of Object.keys(artifacts).sort()) {
      // Each file is new (exclusive, unpredictable name) and renamed into place:
      // a reader never sees half a script, and a symlink at the name is replaced, not followed.
      writeFileReplacing(outDir, name, artifacts[name]!, artifactMode(name));
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR")
      return fail(
        cliError(
          "VSC9010",
          `the output directory ${o.out} was replaced by a symbolic link or a file while vsc wrote to it`,
          "write into a directory only you can change",
        ),
      );
    return fail(cannotWrite(o.out, e));
  }
  if (systemdIr) {
    try {
      writeSystemdDir(systemdIr, outDir);
    } catch (e) {
      return fail(cannotWrite(o.out, e));
    }
    artifacts["systemd/"] = "";
  }
  if (o.format !== "json") {
    io.err(`wrote ${Object.keys(artifacts).sort().join(", ")} to ${o.out}\n`);
  }
  return 0;
}

/**
 * `systemd/` of the output directory (driver systemd): every unit file and
 * drop-in; files of an earlier compile that are no longer generated go.
 */
function writeSystemdDir(ir: VscIr, outDir: string): void {
  const dir = ensureDir(outDir, "systemd");
  const art = systemdArtifacts(ir, desiredState(ir).cgroups);
  const keep = new Set(art.files.map((f) => f.path));
  for (const old of generatedFiles(dir)) if (!keep.has(old)) removeEntry(dir, old);
  for (const f of art.files) writeUnitFile(dir, f.path, f.text);
}

function cannotWrite(out: string, e: unknown): Diagnostic {
  return cliError(
    "VSC9003",
    `cannot write the artifacts to ${out}: ${(e as Error).message}`,
    "check that the directory is writable, or choose another with -o",
  );
}

/**
 * Creates the output directory (and missing parents) mode 0755 whatever the
 * umask. Returns why an existing one is refused ("a symbolic link", "not a
 * directory"); throws errno errors. Modes are set through a descriptor opened
 * without following symlinks, so a directory swapped for a link is never
 * chmod-ed.
 */
function makeOutputDir(out: string): string | undefined {
  try {
    const st = lstatSync(out);
    if (st.isSymbolicLink()) return "a symbolic link";
    if (!st.isDirectory()) return "not a directory";
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const first = mkdirSync(out, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  if (first !== undefined)
    for (let d = resolve(out); ; d = dirname(d)) {
      created.push(d);
      if (d === resolve(first) || d === dirname(d)) break;
    }
  for (const d of created) {
    let fd: number;
    try {
      fd = openDirNoFollow(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ELOOP" || code === "ENOTDIR") return "a symbolic link";
      throw e;
    }
    try {
      fchmodSync(fd, 0o755);
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}
