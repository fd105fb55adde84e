/**
 * Front-end probe: module import + parser construction time, and lex / parse
 * time of a generated config of N contexts (default 10,000). Times are the
 * median of 5 runs; `*Cpu` figures are process CPU time (user + system, all
 * threads), which stays meaningful on a loaded machine where wall time does not.
 *   node dist/bench/parse-probe.js [N]     (or npx tsx bench/parse-probe.ts [N])
 */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const t0 = performance.now();
const { parseSource } = await import("../src/syntax/parse.js");
const { lex } = await import("../grammar/lexer.js");
const { getParser } = await import("../grammar/parser.js");
const { generateConfig } = await import("./gen-config.js");
const tImport = performance.now() - t0;
const t1 = performance.now();
getParser();
const tConstruct = performance.now() - t1;

const n = Number(process.argv[2] ?? 10000);
const text = generateConfig(n);
const runs = 5;
const median = (f: () => void): [number, number] => {
  const ts: number[] = [];
  const cs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const c = cpuMs();
    f();
    ts.push(performance.now() - s);
    cs.push(cpuMs() - c);
  }
  const mid = (xs: number[]): number => xs.sort((a, b) => a - b)[runs >> 1]!;
  return [mid(ts), mid(cs)];
};
const first = performance.now();
const r = parseSource(text, "main.vsc");
const firstMs = performance.now() - first;
if (r.diagnostics.length) throw new Error(JSON.stringify(r.diagnostics.slice(0, 3)));
const lexMs = median(() => lex(text));
const parseMs = median(() => parseSource(text, "main.vsc"));
const fmt = (x: number): string => x.toFixed(1);
console.log(
  JSON.stringify({
    contexts: n,
    bytes: text.length,
    lines: text.split("\n").length,
    tokens: lex(text).tokens.length,
    importMs: fmt(tImport),
    constructMs: fmt(tConstruct),
    firstParseMs: fmt(firstMs),
    lexMs: fmt(lexMs[0]),
    lexCpuMs: fmt(lexMs[1]),
    parseSourceMs: fmt(parseMs[0]),
    parseSourceCpuMs: fmt(parseMs[1]),
  }),
);
