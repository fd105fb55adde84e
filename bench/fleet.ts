/**
 * `npm run bench -- fleet`: a fleet of 1,000 hosts with 100 contexts each
 * (#18). `vsc check` of the whole fleet and `vsc compile --host` of one host,
 * whole processes (median of 5), against `node -e 0` measured alternately in
 * the same run, and `vsc compile --target vsc -o DIR` of every host (what
 * the Ansible collection runs once per run on the controller). Two shapes:
 * hosts of 4 hardware templates in 10 groups (what a real fleet looks like,
 * and what the checker's sharing of alike hosts is for), and 1,000 hosts
 * that all differ (the worst case: every host checked on its own).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../src/paths.js";
import { commandMs, fmtMs, fmtRatio, median, table } from "./measure.js";

const HOSTS = 1000;
const GROUPS = 10;
const SHARED = 50; // contexts without `on`: on every host
const PER_GROUP = 50; // contexts `on gN`: on that group's 100 hosts

/** The fleet's text; `distinct`: every host its own capacity (no two alike). */
export function generateFleet(distinct: boolean): string {
  const out: string[] = [];
  const hw = ["8core", "16core", "32core", "64core"];
  hw.forEach((h, i) => {
    const cpus = 8 << i;
    out.push(`template hw-${h} { cpus ${cpus}  memory ${cpus * 4}GiB  link eth0 rate 10gbit }`);
  });
  const name = (i: number) => `n${String(i).padStart(4, "0")}`;
  for (let i = 0; i < HOSTS; i++) {
    out.push(
      distinct
        ? `host ${name(i)} { cpus ${32 + (i % 97)}  memory ${128 + i}GiB  link eth0 rate 10gbit }`
        : `host ${name(i)} { use hw-${hw[i % hw.length]} }`,
    );
  }
  for (let g = 0; g < GROUPS; g++) {
    const members: string[] = [];
    for (let i = g; i < HOSTS; i += GROUPS) members.push(name(i));
    out.push(`group g${g} = ${members.join(", ")}`);
  }
  out.push(`class tenants { cpu { share 4 } }`);
  out.push(`template small { memory { limit 256MiB }  pids { limit 256 } }`);
  for (let c = 0; c < SHARED; c++) {
    out.push(
      `context shared-${c} in tenants { id ${c + 1}  use small  cpu { share 2  reserve 0.05 cpus } }`,
    );
  }
  for (let g = 0; g < GROUPS; g++) {
    out.push(`class site-${g} on g${g} { cpu { share 2 } }`);
    for (let c = 0; c < PER_GROUP; c++) {
      out.push(
        `context g${g}-c${c} in site-${g} { id ${1000 + g * 100 + c}  use small  cpu { reserve 0.02 cpus } }`,
      );
    }
  }
  return out.join("\n") + "\n";
}

export function benchFleet(): void {
  const root = packageRoot();
  const vsc = join(root, "bin/vsc.js");
  const node = process.execPath;
  const dir = mkdtempSync(join(tmpdir(), "vsc-bench-fleet-"));
  try {
    console.log("## fleet: 1,000 hosts x 100 contexts, whole processes (median of 5)\n");
    const rows: string[][] = [];
    for (const distinct of [false, true]) {
      const file = join(dir, distinct ? "distinct.vsc" : "fleet.vsc");
      writeFileSync(file, generateFleet(distinct));
      const base: number[] = [];
      const chk: number[] = [];
      const one: number[] = [];
      const all: number[] = [];
      for (let i = 0; i < 5; i++) {
        base.push(commandMs(1, node, ["-e", "0"]));
        chk.push(commandMs(1, node, [vsc, "check", file]));
        one.push(
          commandMs(1, node, [vsc, "compile", file, "--host", "n0421", "-o", join(dir, "out")]),
        );
        all.push(
          commandMs(1, node, [vsc, "compile", file, "--target", "vsc", "-o", join(dir, `all${i}`)]),
        );
      }
      const b = median(base);
      const shape = distinct
        ? "1,000 distinct hosts (worst case)"
        : "4 hardware templates, 10 groups";
      rows.push([
        shape,
        "vsc check (every host)",
        fmtMs(median(chk)),
        fmtMs(b),
        fmtRatio(median(chk) / b),
        "< 3 s",
      ]);
      rows.push([
        shape,
        "vsc compile --host n0421",
        fmtMs(median(one)),
        fmtMs(b),
        fmtRatio(median(one) / b),
        "< 0.5 s",
      ]);
      rows.push([
        shape,
        "vsc compile --target vsc -o DIR (every host's file: the collection's one compile per run)",
        fmtMs(median(all)),
        fmtMs(b),
        fmtRatio(median(all) / b),
        "-",
      ]);
    }
    console.log(table(["fleet", "command", "median", "node -e 0", "ratio", "target"], rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
