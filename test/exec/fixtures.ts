// Hand-built IR for exec tests (the parser and checker are other stages).
import type { Node, VscIr } from "../../src/ir/types.gen.js";

const loc = (line: number, col = 1) => ({ file: "vsc.vsc", line, col });

export function contextNode(name: string, over: Partial<Node> = {}): Node {
  return {
    kind: "context",
    name,
    path: over.parent ? `${over.parent}/${name}` : name,
    parent: null,
    depth: over.parent ? 2 : 1,
    id: 101,
    loc: loc(10, 1),
    cpu: { share: 1 },
    memory: {},
    pids: {},
    io: { devices: [] },
    net: { addresses: [], links: [], rules: [] },
    rlimits: [],
    security: { namespaces: [] },
    ...over,
  };
}

export function classNode(name: string): Node {
  return { ...contextNode(name), kind: "class", id: 60001, loc: loc(5, 1) };
}

export function irOf(nodes: Node[], cgroupRoot = "vsc"): VscIr {
  return {
    version: 1,
    entry: "vsc.vsc",
    host: {
      name: "node1",
      millicpus: 2000,
      memory: 8 << 30,
      disks: [],
      links: [],
      keep: { millicpus: 0, memory: 0 },
      overbook: {},
      cgroupRoot,
      loc: loc(1),
    },
    nodes,
  };
}

export { loc };
