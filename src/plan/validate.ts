/**
 * A saved plan is untrusted input (anyone who can write the file can edit
 * it), and `vsc apply PLAN` runs it as root. The schema checks its shape;
 * this checks that it stays inside what vsc owns (mapping.md "Ownership")
 * and could have come from the planner:
 *
 *  - every cgroup path is the plan's cgroup-root or below it, segment by
 *    segment (no `..`, `.`, empty segments; the schema allows only
 *    [a-z0-9_.-] so there is no absolute path or backslash), and a process
 *    move goes only to the cgroup holding the subtree;
 *  - every file written is an interface file vsc manages, every controller
 *    one plain word, every value printable (io.max: one line per device);
 *  - the nft text stays inside table inet vsc (ruleset-check.ts) and carries
 *    its own digest;
 *  - every tc line, and every line that would undo it, is one vsc generates,
 *    on a link of the plan's scope (tc-commands.ts);
 *  - addresses (printed to the terminal) are the ones the planner writes.
 *
 * Pure. Run on load (document.ts) and again by the executor before it
 * touches anything, so a plan built in memory is held to the same rules.
 */
import { createHash } from "node:crypto";
import { Code } from "./codes.js";
import { ipCommands, ipLineProblem, tcCommands, tcLineProblem } from "./tc-commands.js";
import { ifbName } from "../model/ingress.js";
import type { Diagnostic } from "../diag/diagnostic.js";
import { rulesetProblems } from "./ruleset-check.js";
import type { Action, Plan } from "./types.js";
import { MANAGED_FILES, parentPath } from "./values.js";

/**
 * A controller name as cgroup.subtree_control takes it. Not a fixed list:
 * kernels add controllers (dmem in 6.13), and a destroy plan must be able to
 * restore whatever was enabled in vsc's own subtree; one word, so a token
 * cannot carry another.
 */
const CONTROLLER = /^[a-z_]{1,32}$/;

const WRITABLE: ReadonlySet<string> = new Set(MANAGED_FILES);
const MAX_NOTES = 10;
/** Longest value vsc writes into one interface file (io.max with many devices stays far below). */
const MAX_VALUE = 4096;
const HEX64 = /^[0-9a-f]{64}$/;

const segmentsOk = (p: string) => p.split("/").every((s) => s !== "" && s !== "." && s !== "..");

/** Diagnostics for everything in `plan` that is not vsc's to touch; [] when it may run. */
export function planProblems(plan: Plan): Diagnostic[] {
  const paths: string[] = [];
  const nft: string[] = [];
  const tc: string[] = [];
  const other: string[] = [];
  const root = plan.scope.cgroupRoot;
  const links = new Set(plan.scope.links);
  // Ingress (language-v2.md §3): declared links whose ingress qdisc vsc owns, and their IFB devices.
  const ingress = new Set(plan.scope.ingress ?? []);
  const ifbs = new Map([...ingress].map((l) => [ifbName(l), l] as const));
  for (const l of ingress)
    if (!links.has(l)) tc.push(`scope.ingress: link ${JSON.stringify(l)} is not in scope.links`);

  if (!segmentsOk(root)) paths.push(`scope.cgroupRoot ${JSON.stringify(root)} is not a plain path`);
  for (const f of plan.scope.files)
    if (!WRITABLE.has(f)) paths.push(`scope.files: ${JSON.stringify(f)} is not a file vsc manages`);
  if (!shownSafely(plan.host)) other.push("host: holds control characters");

  const owned = (where: string, p: string) => {
    if (!segmentsOk(p) || !(p === root || p.startsWith(`${root}/`)))
      paths.push(
        `${where}: ${JSON.stringify(p)} is not inside vsc's subtree ${JSON.stringify(root)}`,
      );
  };
  const controllers = (where: string, cs: string[]) => {
    for (const c of cs)
      if (!CONTROLLER.test(c)) paths.push(`${where}: ${JSON.stringify(c)} is not a controller`);
  };
  const value = (where: string, file: string, v: string | null | undefined) => {
    if (v === null || v === undefined) return;
    if (v.length > MAX_VALUE || !printable(v, file === "io.max"))
      other.push(
        `${where}: the value of ${file} is not a plain ${file === "io.max" ? "list" : "line"}`,
      );
  };
  const address = (where: string, a: Action, want: string) => {
    if (a.address !== want)
      other.push(
        `${where}: address ${JSON.stringify(a.address)} should be ${JSON.stringify(want)}`,
      );
  };

  plan.actions.forEach((a, i) => {
    const at = `action ${i + 1} (${a.type})`;
    if (a.reason !== undefined && !shownSafely(a.reason))
      other.push(`${at}: reason holds control characters`);
    switch (a.type) {
      case "cgroup": {
        owned(at, a.path);
        address(at, a, `cgroup ${a.path}`);
        if (a.op === "create" && (a.moveProcsTo !== undefined || a.restore || a.procs))
          other.push(`${at}: a create moves no processes and restores nothing`);
        if (a.moveProcsTo !== undefined && a.moveProcsTo !== parentPath(root))
          paths.push(
            `${at}: processes may move only to ${JSON.stringify(parentPath(root))} (the cgroup holding vsc's subtree), not ${JSON.stringify(a.moveProcsTo)}`,
          );
        if (a.restore) {
          controllers(at, a.restore.subtreeControl);
          for (const [f, v] of Object.entries(a.restore.files)) {
            if (!WRITABLE.has(f))
              paths.push(`${at}: ${JSON.stringify(f)} is not a file vsc manages`);
            value(at, f, v);
          }
        }
        break;
      }
      case "subtree-control":
        owned(at, a.path);
        address(at, a, `cgroup ${a.path} cgroup.subtree_control`);
        controllers(at, [...a.before, ...a.after]);
        break;
      case "cgroup-file":
        owned(at, a.path);
        address(at, a, `cgroup ${a.path} ${a.file}`);
        if (!WRITABLE.has(a.file))
          paths.push(`${at}: ${JSON.stringify(a.file)} is not a file vsc manages`);
        value(at, a.file, a.before);
        value(at, a.file, a.after);
        break;
      case "nft": {
        address(at, a, "nft table inet vsc");
        if (a.before && a.before.digest !== null && !HEX64.test(a.before.digest))
          nft.push(`${at}: before.digest is not a sha256`);
        if (!a.after) break;
        if (!HEX64.test(a.after.digest)) {
          nft.push(`${at}: after.digest is not a sha256`);
          break;
        }
        for (const p of rulesetProblems(a.after.ruleset).slice(0, MAX_NOTES))
          nft.push(`${at}: ruleset line ${p.line}: ${p.message}`);
        const why = digestProblem(a.after.ruleset, a.after.digest);
        if (why) nft.push(`${at}: ${why}`);
        break;
      }
      case "ifb": {
        if (!ingress.has(a.link) || a.dev !== ifbName(a.link)) {
          tc.push(
            `${at}: device ${JSON.stringify(a.dev)} is not the IFB device of a link in the plan's scope`,
          );
          break;
        }
        address(at, a, `ifb ${a.dev}`);
        for (const c of ipCommands(a))
          for (const l of [c.line, ...c.undo]) {
            const why = ipLineProblem(l, a.dev);
            if (why) tc.push(`${at}: ${why}`);
          }
        break;
      }
      case "tc-ingress":
      case "tc-filter":
      case "tc-qdisc":
      case "tc-class": {
        if (
          a.type === "tc-ingress"
            ? !ingress.has(a.dev)
            : a.type === "tc-filter"
              ? !ifbs.has(a.dev)
              : !links.has(a.dev) && !ifbs.has(a.dev)
        ) {
          tc.push(
            `${at}: ${a.type === "tc-filter" ? "device" : "link"} ${JSON.stringify(a.dev)} is not in the plan's scope`,
          );
          break;
        }
        if (a.type === "tc-class") address(at, a, `tc ${a.dev} class ${a.classid}`);
        else if (a.type === "tc-ingress") {
          address(at, a, `tc ${a.dev} ingress`);
          for (const s of [a.before, a.after])
            if (s?.redirect !== undefined && s.redirect !== ifbName(a.dev))
              tc.push(`${at}: the ingress of ${a.dev} may redirect only to ${ifbName(a.dev)}`);
        } else if (a.type === "tc-filter") {
          address(at, a, `tc ${a.dev} filter ${a.prio}`);
          if (!Number.isInteger(a.prio) || a.prio < 1 || a.prio > 0xfeff)
            tc.push(`${at}: prio ${a.prio} is not a context id`);
          for (const s of [a.before, a.after])
            if (s && (s.flowid !== `1:${a.prio.toString(16)}` || s.nodes.length === 0))
              tc.push(
                `${at}: a context's filter (prio ${a.prio}) sends its packets to its class 1:${a.prio.toString(16)}`,
              );
        } else address(at, a, `tc ${a.dev} qdisc ${a.after?.handle ?? a.before?.handle ?? ""}`);
        if (a.type === "tc-qdisc" && a.op === "delete" && a.before?.kind !== "htb")
          tc.push(`${at}: vsc deletes only its own HTB root qdisc`);
        let cmds;
        try {
          cmds = tcCommands(a);
        } catch {
          tc.push(`${at}: its before/after cannot make tc commands`);
          break;
        }
        for (const c of cmds)
          for (const l of [c.line, ...c.undo]) {
            const why = tcLineProblem(l, a.dev);
            if (why) tc.push(`${at}: ${why}`);
          }
        break;
      }
    }
  });

  const out: Diagnostic[] = [];
  const push = (code: string, message: string, notes: string[]) => {
    if (notes.length === 0) return;
    out.push({
      code,
      severity: "error",
      message,
      notes: [
        ...notes.slice(0, MAX_NOTES),
        ...(notes.length > MAX_NOTES ? [`and ${notes.length - MAX_NOTES} more`] : []),
        "nothing was changed",
      ],
      help: "a saved plan is run as written, as root: make a new one with `vsc plan FILE --out PLAN` instead of editing it",
    });
  };
  push(Code.planPathNotOwned, "the plan names something outside what vsc owns", paths);
  push(Code.planRulesetNotOwned, "the plan's nft ruleset goes beyond table inet vsc", nft);
  push(Code.planTcNotOwned, "the plan's tc commands go beyond vsc's qdiscs", tc);
  push(Code.planNotConsistent, "the plan is not one vsc made", other);
  return out;
}

/** The ruleset carries `comment "vsc:<digest>"`, and digest is the sha256 of the text with it blanked. */
function digestProblem(ruleset: string, digest: string): string | undefined {
  const slot = `comment "vsc:${digest}"`;
  const at = ruleset.indexOf(slot);
  if (at < 0)
    return `the ruleset does not carry its digest (comment "vsc:${digest.slice(0, 12)}...")`;
  const blank = ruleset.slice(0, at) + 'comment "vsc:"' + ruleset.slice(at + slot.length);
  const sum = createHash("sha256").update(blank).digest("hex");
  return sum === digest ? undefined : "the ruleset's digest is not the sha256 of its text";
}

/** A value: printable ASCII (and tabs); newlines only where the value is a list. */
function printable(s: string, lines: boolean): boolean {
  return lines ? /^[\x20-\x7e\t\n]*$/.test(s) : /^[\x20-\x7e\t]*$/.test(s);
}

/** Text shown to a person: no control characters (C0, DEL, C1), so nothing can drive the terminal. */
const shownSafely = (s: string) => !/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(s);
