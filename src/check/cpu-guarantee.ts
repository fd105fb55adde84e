/**
 * CPU reservations are met through cpu.weight (mapping.md, "CPU reservation
 * by weights"), and cpu.weight has a floor of 1 and a ceiling of 10000. Some
 * admissible configurations still cannot be expressed: reservations that use
 * all of a parent's guarantee next to a sibling without one (which still
 * needs weight >= 1), or reservations more than 10000:1 apart. This rule
 * verifies the weights that src/model/weights.ts computes for the IR (the
 * same map the desired state writes as cpu.weight) with its independent
 * verifier, and reports each reservation that would be broken. It is the
 * only place the guarantee is verified.
 */
import type { VscIr } from "../ir/types.gen.js";
import { cpuGuaranteeViolations, cpuWeights } from "../model/weights.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { formatCpu } from "./format-units.js";
import type { TreeNode } from "./hierarchy.js";

export function checkCpuGuarantees(ir: VscIr, nodes: readonly TreeNode[], report: Acceptor): void {
  const bad = cpuGuaranteeViolations(ir, cpuWeights(ir));
  if (bad.length === 0) return;
  const byName = new Map(nodes.map((n) => [n.name, n] as const));
  for (const b of bad) {
    const n = byName.get(b.name);
    if (!n) continue;
    const reserve = n.body.cpu.reserve;
    report(
      error(
        Code.weightsCannotGuarantee,
        reserve?.span ?? n.decl.name.span,
        `cpu.weight cannot guarantee ${n.kind} ${n.name} its reservation of ${formatCpu(b.reserved)}: ` +
          `under full load it would get ${formatCpu(Math.floor(b.guaranteed))}`,
        {
          label: "cannot be met through cpu.weight",
          help:
            "cpu.weight is at least 1 for every sibling: leave part of the parent's guarantee unreserved, " +
            "give every sibling a reservation, or keep reservations within 10000:1 of each other",
        },
      ),
    );
  }
}
