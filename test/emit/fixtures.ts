/** Hand-built IRs (typed) for emitter tests that must not wait for the parser and checker. */
import type { Draft } from "../../src/ir/draft.js";
import type { Node, VscIr } from "../../src/ir/types.gen.js";

const L = (line: number, col = 3, file = "language.vsc") => ({ file, line, col });

/** What examples/language.vsc checks to (built by hand from the spec's rules). */
export function languageIr(): Draft<VscIr> {
  const base = (
    n: Partial<Draft<Node>> &
      Pick<Node, "kind" | "name" | "path" | "parent" | "depth" | "id" | "loc">,
  ): Draft<Node> => ({
    cpu: { share: 1 },
    memory: {},
    pids: {},
    io: { devices: [] },
    net: { addresses: [], links: [], rules: [] },
    rlimits: [],
    security: { namespaces: [] },
    ...n,
  });
  return {
    version: 1,
    entry: "language.vsc",
    host: {
      name: "node1",
      millicpus: 2000,
      memory: 8 * 1024 ** 3,
      disks: [{ name: "vda", major: 254, minor: 0, loc: L(7) }],
      links: [{ name: "eth0", rate: 1_000_000_000, loc: L(8) }],
      keep: { millicpus: 200, memory: 512 * 1024 ** 2 },
      overbook: { memory: 2000 },
      cgroupRoot: "vsc",
      loc: L(4, 1),
    },
    nodes: [
      base({
        kind: "context",
        name: "batch",
        path: "batch",
        parent: null,
        depth: 1,
        id: 102,
        loc: L(68, 1),
        cpu: { share: 1, cores: [1], loc: L(71) },
        memory: { limit: 512 * 1024 ** 2, loc: L(17) },
        pids: { limit: 256, loc: L(18) },
      }),
      base({
        kind: "class",
        name: "web-tier",
        path: "web-tier",
        parent: null,
        depth: 1,
        id: 60001 + 17,
        loc: L(21, 1),
        cpu: { share: 4, reserve: 500, loc: L(22) },
        memory: { limit: 4 * 1024 ** 3, loc: L(23) },
        net: {
          addresses: [],
          links: [
            { name: "eth0", share: 1, reserve: 100_000_000, limit: 400_000_000, loc: L(24, 15) },
          ],
          rules: [],
          loc: L(24),
        },
      }),
      base({
        kind: "context",
        name: "web",
        path: "web-tier/web",
        parent: "web-tier",
        depth: 2,
        id: 101,
        loc: L(27, 1),
        cpu: { share: 2, reserve: 200, limit: 1000, burst: 20000, loc: L(30) },
        memory: {
          reserve: 256 * 1024 ** 2,
          low: 512 * 1024 ** 2,
          high: 1024 ** 3,
          limit: 2 * 1024 ** 3,
          swap: 0,
          loc: L(36),
        },
        pids: { limit: 512, loc: L(43) },
        io: {
          share: 2,
          devices: [
            {
              name: "vda",
              major: 254,
              minor: 0,
              rbps: 50_000_000,
              wbps: 20_000_000,
              riops: 1000,
              wiops: 500,
              loc: L(46, 5),
            },
          ],
          loc: L(44),
        },
        net: {
          addresses: [
            { family: 4, address: "10.0.0.11", prefix: 32, loc: L(49, 13) },
            { family: 6, address: "fd00::11", prefix: 128, loc: L(49, 24) },
          ],
          links: [{ name: "eth0", share: 2, reserve: 5_000_000, limit: 50_000_000, loc: L(50, 5) }],
          rules: [
            {
              direction: "in",
              proto: "tcp",
              peers: [],
              ports: [
                { from: 80, to: 80 },
                { from: 443, to: 443 },
              ],
              loc: L(51, 5),
            },
            {
              direction: "out",
              proto: "tcp",
              peers: [{ family: 4, address: "10.0.1.0", prefix: 24 }],
              ports: [{ from: 5432, to: 5432 }],
              loc: L(52, 5),
            },
            {
              direction: "out",
              proto: "udp",
              peers: [],
              ports: [{ from: 53, to: 53 }],
              loc: L(53, 5),
            },
          ],
          default: "deny",
          loc: L(48),
        },
        rlimits: [
          { name: "memlock", soft: 65536, hard: 65536, loc: L(57, 5) },
          { name: "nofile", soft: 4096, hard: 4096, loc: L(58, 5) },
        ],
        security: {
          capabilities: { mode: "keep", names: ["chown", "net_bind_service", "setgid", "setuid"] },
          namespaces: ["ipc", "mount", "pid", "uts"],
          hostname: "web.example",
          root: "/srv/contexts/web",
          loc: L(60),
        },
      }),
    ],
  };
}

/**
 * A big flat-ish IR: `n` contexts in classes of 100, each with a reservation,
 * limits, an address, a link class and a few rules. For perf and scale tests.
 */
export function bigIr(n: number, cgroupRoot = "vsc"): Draft<VscIr> {
  const ir = languageIr();
  ir.host.millicpus = 64000;
  ir.host.cgroupRoot = cgroupRoot;
  ir.host.links = [{ name: "eth0", rate: 10_000_000_000, loc: L(8) }];
  ir.nodes = [];
  const classes = Math.ceil(n / 100);
  for (let c = 0; c < classes; c++) {
    const cname = `class-${String(c).padStart(4, "0")}`;
    ir.nodes.push({
      kind: "class",
      name: cname,
      path: cname,
      parent: null,
      depth: 1,
      id: 60001 + c,
      loc: L(100 + c, 1),
      cpu: { share: 1 + (c % 3), reserve: 500 },
      memory: {},
      pids: {},
      io: { devices: [] },
      net: { addresses: [], links: [{ name: "eth0", share: 1, reserve: 50_000_000 }], rules: [] },
      rlimits: [],
      security: { namespaces: [] },
    });
    for (let i = 0; i < 100 && c * 100 + i < n; i++) {
      const k = c * 100 + i + 1;
      ir.nodes.push({
        kind: "context",
        name: `ctx-${String(k).padStart(5, "0")}`,
        path: `${cname}/ctx-${String(k).padStart(5, "0")}`,
        parent: cname,
        depth: 2,
        id: k,
        loc: L(1000 + k, 1),
        cpu: { share: 1 + (k % 5), reserve: 4, limit: 2000, loc: L(1000 + k) },
        memory: { reserve: 1024 ** 2, limit: 256 * 1024 ** 2 + 123 },
        pids: { limit: 128 },
        io: { share: 50, devices: [] },
        net: {
          addresses: [
            { family: 4, address: `10.${k >> 16}.${(k >> 8) & 255}.${k & 255}`, prefix: 32 },
          ],
          links: [{ name: "eth0", share: 1 + (k % 3), reserve: 1_000_000, limit: 100_000_000 }],
          rules: [
            {
              direction: "in",
              proto: "tcp",
              peers: [],
              ports: [{ from: 80, to: 80 }],
              loc: L(1000 + k),
            },
            {
              direction: "out",
              proto: "udp",
              peers: [{ family: 4, address: "10.255.0.0", prefix: 16 }],
              ports: [{ from: 53, to: 53 }],
              loc: L(1000 + k),
            },
          ],
          default: k % 2 ? "deny" : "allow",
        },
        rlimits: [],
        security: { namespaces: [] },
      });
    }
  }
  return ir;
}
