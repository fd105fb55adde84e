/**
 * The kernel's bounds (src/check/kernel-bounds.ts), each as a config at the
 * bound and one past it, with what vsc writes for each. Shared by the
 * checker's test (test/check/kernel-bounds.test.ts: at the bound checks
 * clean, past it is the code at the value) and the kernel lab's
 * (test/kernel/bounds.test.ts: the kernel accepts the first value and
 * refuses the second).
 */
import { HOST } from "./helpers.js";

export interface CgroupProbe {
  kind: "cgroup";
  /** Controller the file belongs to. */
  controller: string;
  file: string;
  /** Written first (e.g. the quota a burst is measured against). */
  setup?: Array<[file: string, value: string]>;
  /** What vsc writes for the config at the bound (the test checks the emitter agrees). */
  atValue: string;
  /** What the same rule would write for the value past the bound. */
  pastValue: string;
  /** The kernel takes the past value but does not keep it (reads back `keptAs`). */
  keptAs?: string;
  /** Needs the lab's virtio disk (254:0). */
  disk?: boolean;
}

export interface TcProbe {
  kind: "tc";
  /** Rates in bit/s, as vsc writes them (`rate Nbit`). */
  atRate: number;
  pastRate: number;
}

export interface BoundCase {
  name: string;
  code: string;
  /** Whole programs at the bound and one past it. */
  at: string;
  past: string;
  /** Where the past value's diagnostic points (needle in `past`). */
  needle: string;
  probe: CgroupProbe | TcProbe;
}

const ctx = (body: string) => `${HOST}context a {\n  id 1\n  ${body}\n}\n`;
const QUOTA_AT = "17592186044400"; // 175921860444m at the 100000us period

export const BOUND_CASES: BoundCase[] = [
  {
    name: "pids.max",
    code: "VSC2040",
    at: ctx("pids { limit 4194304 }"),
    past: ctx("pids { limit 4194305 }"),
    needle: "4194305",
    probe: {
      kind: "cgroup",
      controller: "pids",
      file: "pids.max",
      atValue: "4194304",
      pastValue: "4194305",
    },
  },
  {
    name: "cpu.max quota",
    code: "VSC2041",
    at: ctx("cpu { limit 175921860444m }"),
    past: ctx("cpu { limit 175921860445m }"),
    needle: "175921860445m",
    probe: {
      kind: "cgroup",
      controller: "cpu",
      file: "cpu.max",
      atValue: `${QUOTA_AT} 100000`,
      pastValue: "17592186044500 100000",
    },
  },
  {
    name: "cpu.max smallest quota",
    code: "VSC3006",
    at: ctx("cpu { limit 10m }"),
    past: ctx("cpu { limit 9m }"),
    needle: "9m",
    probe: {
      kind: "cgroup",
      controller: "cpu",
      file: "cpu.max",
      atValue: "1000 100000",
      pastValue: "900 100000",
    },
  },
  {
    name: "cpu.max.burst + quota",
    code: "VSC2042",
    at: ctx("cpu { limit 175921860444m  burst 15us }"),
    past: ctx("cpu { limit 175921860444m  burst 16us }"),
    needle: "16us",
    probe: {
      kind: "cgroup",
      controller: "cpu",
      file: "cpu.max.burst",
      setup: [["cpu.max", `${QUOTA_AT} 100000`]],
      atValue: "15",
      pastValue: "16",
    },
  },
  {
    name: "io.max rbps",
    code: "VSC2043",
    at: ctx("io { device vda { read 2B/s } }"),
    past: ctx("io { device vda { read 1B/s } }"),
    needle: "1B/s",
    probe: {
      kind: "cgroup",
      controller: "io",
      file: "io.max",
      atValue: "254:0 rbps=2 wbps=max riops=max wiops=max",
      pastValue: "254:0 rbps=1 wbps=max riops=max wiops=max",
      disk: true,
    },
  },
  {
    name: "io.max wiops",
    code: "VSC2043",
    at: ctx("io { device vda { wiops 4294967294 } }"),
    past: ctx("io { device vda { wiops 4294967295 } }"),
    needle: "4294967295",
    probe: {
      kind: "cgroup",
      controller: "io",
      file: "io.max",
      atValue: "254:0 rbps=max wbps=max riops=max wiops=4294967294",
      pastValue: "254:0 rbps=max wbps=max riops=max wiops=4294967295",
      keptAs: "",
      disk: true,
    },
  },
  {
    name: "HTB rate (link reserve)",
    code: "VSC2044",
    at: ctx("net { link eth0 { reserve 8bit } }"),
    past: ctx("net { link eth0 { reserve 7bit } }"),
    needle: "7bit",
    probe: { kind: "tc", atRate: 8, pastRate: 7 },
  },
];
