/**
 * Child process for the check benchmark: loads and checks a generated config
 * of N contexts (in memory), and a JSON.parse of its IR as the floor, and
 * prints one JSON line. Run in a fresh process per size so peak memory
 * (maxRSS) belongs to that size alone.
 */
import { check } from "../src/check/index.js";
import { loadProgram, memoryHost } from "../src/syntax/load.js";
import { generateConfig } from "./gen-config.js";
import { medianMs, medianMsCpu } from "./measure.js";

const n = Number(process.argv[2]);
const runs = Number(process.argv[3] ?? 5);
const text = generateConfig(n);
const host = memoryHost({ "main.vsc": text });
let irJson = "";
const { ms: checkMs, cpuMs: checkCpuMs } = medianMsCpu(runs, () => {
  const { program, diagnostics } = loadProgram("main.vsc", host);
  const r = check(program);
  if (!r.ir)
    throw new Error(
      `generated config does not check: ${JSON.stringify([...diagnostics, ...r.diagnostics].slice(0, 3))}`,
    );
  irJson ||= JSON.stringify(r.ir);
});
const jsonMs = medianMs(runs, () => JSON.parse(irJson));
process.stdout.write(
  JSON.stringify({
    n,
    bytes: text.length,
    checkMs,
    checkCpuMs,
    jsonMs,
    maxRssKiB: process.resourceUsage().maxRSS,
  }) + "\n",
);
