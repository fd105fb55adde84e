/**
 * The systemd driver's checker rules (language-v2.md §6): `units` in a
 * context, and what systemd 252 (Debian 12) cannot set under
 * `driver systemd`. Codes: VSC2080-2089, VSC3040-3044, VSC4060-4069; the
 * catalog entries are in src/diag/codes/systemd.ts.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Decl, Setting } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { flatten } from "./defines.js";
import type { TreeNode } from "./hierarchy.js";
import type { HostSpec } from "./read-host.js";
import { Field, type UnitRef } from "./spec.js";
import type { ReadCtx } from "./values.js";

export const SystemdCode = {
  unitInTwoContexts: "VSC2080",
  unitsOutsideContext: "VSC2081",
  badUnitName: "VSC3040",
  unitsNeedSystemd: "VSC4060",
  systemdCannotSet: "VSC4061",
  systemdCannotGiveUnit: "VSC4062",
} as const;

/** The unit types whose units run processes in a cgroup that `Slice=` places. */
export const UNIT_SUFFIXES = ["service", "socket", "mount", "swap"] as const;

/**
 * systemd's unit_name_is_valid() for the types above: a prefix of
 * `[A-Za-z0-9:_.\-]` (optionally `@instance`, or `@` alone for a template),
 * then the type suffix, at most 255 bytes in all.
 */
const UNIT_NAME = /^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\@-]*)?\.(service|socket|mount|swap)$/;

export function isUnitName(s: string): boolean {
  return s.length <= 255 && UNIT_NAME.test(s);
}

/** `units "nginx.service", "php8.2-fpm.service"`: strings, each a valid unit name, none twice. */
export function readUnits(st: Setting, decl: Decl, ctx: ReadCtx): Field<UnitRef[]> | undefined {
  if (decl.keyword !== "context") {
    ctx.report(
      error(
        SystemdCode.unitsOutsideContext,
        st.key.span,
        `units are for contexts, but "${decl.name.name}" is a ${decl.keyword}`,
        {
          help: "name each unit in the one context whose slice it should run in",
        },
      ),
    );
    return undefined;
  }
  const items = st.values.flatMap((v) => flatten(v, ctx.defs, ctx.report));
  if (items.length === 0) {
    ctx.report(
      error(SystemdCode.badUnitName, st.span, "units needs at least one unit name", {
        help: 'write e.g. units "nginx.service"',
      }),
    );
    return undefined;
  }
  const out: UnitRef[] = [];
  const seen = new Map<string, Span>();
  let ok = true;
  for (const r of items) {
    if (r.s.kind !== "String") {
      ctx.report(
        error(SystemdCode.badUnitName, r.at, "a unit name is written as a string", {
          help: 'write e.g. units "nginx.service"',
        }),
      );
      ok = false;
      continue;
    }
    const name = r.s.value;
    if (!isUnitName(name)) {
      const slice = /\.slice$/.test(name);
      ctx.report(
        error(
          SystemdCode.badUnitName,
          r.at,
          slice
            ? `"${name}" is a slice: a slice cannot run inside a context`
            : `"${name}" is not a valid unit name`,
          {
            help: slice
              ? "list the services (or sockets, mounts, swaps) that run in that slice"
              : `a unit name is letters, digits and ":_.\\-" (with @ for an instance), ending in .${UNIT_SUFFIXES.join(", .")}; at most 255 characters`,
          },
        ),
      );
      ok = false;
      continue;
    }
    const first = seen.get(name);
    if (first) {
      ctx.report(
        error(SystemdCode.unitInTwoContexts, r.at, `unit "${name}" is listed twice`, {
          related: [{ span: first, label: "first listed here" }],
          help: "remove one of them",
        }),
      );
      ok = false;
      continue;
    }
    seen.set(name, r.at);
    out.push({ name, span: r.at });
  }
  return ok ? new Field(out, st.span, st.span, ctx.owner) : undefined;
}

/** Namespaces a systemd 252 unit can be given (the directive that gives it). */
const UNIT_NAMESPACES: Record<string, string> = {
  ipc: "PrivateIPC=yes",
  mount: "PrivateMounts=yes",
  net: "PrivateNetwork=yes",
  user: "PrivateUsers=yes",
  uts: "ProtectHostname=yes",
};

/** VSC4061 at `field` when it is set: systemd 252 cannot set `what` on a slice. */
function cannotSet(
  n: TreeNode,
  field: { owner: string; stmt: Span } | undefined,
  what: string,
  driverAt: Span,
  report: Acceptor,
  help: string,
): void {
  if (!field) return;
  const via = field.owner !== n.name ? ` (from template "${field.owner}")` : "";
  report(
    error(
      SystemdCode.systemdCannotSet,
      field.stmt,
      `systemd 252 cannot set ${what} on a slice${via}`,
      {
        related: [{ span: driverAt, label: "the host uses driver systemd" }],
        help,
      },
    ),
  );
}

/** The rules that need every context at once, and the host's driver. */
export function checkSystemd(host: HostSpec | undefined, order: TreeNode[], report: Acceptor) {
  const systemd = host?.driver?.value === "systemd";
  const owner = new Map<string, { span: Span; context: string }>();
  for (const n of order) {
    const b = n.body;
    // What systemd 252 has no slice directive for (VSC4061).
    if (systemd) {
      const driverAt = host!.driver!.stmt;
      cannotSet(
        n,
        b.cpu.burst,
        "cpu burst (cpu.max.burst)",
        driverAt,
        report,
        "remove burst, or use driver cgroupfs; systemd has no CPUQuotaBurst= directive before version 256",
      );
      cannotSet(
        n,
        b.memory.oom,
        "oom group (memory.oom.group)",
        driverAt,
        report,
        "remove `oom group`, or give the context's units `OOMPolicy=kill` (which sets memory.oom.group on each unit's own cgroup), or use driver cgroupfs",
      );
    }
    const units = b.units;
    if (!units) continue;
    if (host && !systemd) {
      report(
        error(
          SystemdCode.unitsNeedSystemd,
          units.stmt,
          `units need driver systemd, but host ${host.name} uses driver cgroupfs`,
          {
            ...(host.driver && { related: [{ span: host.driver.stmt, label: "driver set here" }] }),
            help: `add \`driver systemd\` to host ${host.name}, or run the command with vsc exec`,
          },
        ),
      );
    }
    for (const u of units.value) {
      const first = owner.get(u.name);
      if (first && first.context !== n.name) {
        report(
          error(
            SystemdCode.unitInTwoContexts,
            u.span,
            `unit "${u.name}" is already in context ${first.context}`,
            {
              related: [{ span: first.span, label: `listed in ${first.context} here` }],
              help: "a unit runs in one slice: list it in one context",
            },
          ),
        );
      } else if (!first) owner.set(u.name, { span: u.span, context: n.name });
    }
    if (!systemd) continue;
    const sec = b.security;
    const bad = (sec.namespaces?.value ?? []).filter((ns) => !(ns in UNIT_NAMESPACES));
    if (bad.length > 0) {
      report(
        error(
          SystemdCode.systemdCannotGiveUnit,
          sec.namespaces!.stmt,
          `systemd 252 cannot give a unit the ${bad.join(", ")} namespace${bad.length > 1 ? "s" : ""} (context ${n.name} lists units)`,
          {
            related: [{ span: units.stmt, label: "units listed here" }],
            help: `a unit can have: ${Object.keys(UNIT_NAMESPACES).join(", ")}; start the program with vsc exec for the others`,
          },
        ),
      );
    }
    if (sec.hostname) {
      report(
        error(
          SystemdCode.systemdCannotGiveUnit,
          sec.hostname.stmt,
          `systemd 252 cannot give a unit its own hostname (context ${n.name} lists units)`,
          {
            related: [{ span: units.stmt, label: "units listed here" }],
            help: "remove hostname (namespaces uts becomes ProtectHostname=yes), or start the program with vsc exec",
          },
        ),
      );
    }
  }
}

export { UNIT_NAMESPACES };
