/**
 * The parser's regression corpus: the inputs on which the hand-written fast
 * path and the Chevrotain grammar were compared before they became one
 * parser (the examples, a statement of every kind in every block, a
 * multi-chunk generated config, 5,000 mutated and 1,000 random texts). The
 * expected digests in corpus.expected were made by the two-parser vsc (the
 * main branch at 0ba7ea9), so the test pins the one parser to the same
 * ASTs, spans, comments and diagnostics, byte for byte. Regenerated for
 * fleets (#18): each of the 43 texts whose parse changed holds `on` or
 * `template` (new syntax: `on HOSTS`, a host's settings in a template).
 */
import { createHash } from "node:crypto";
import { generateConfig } from "../../bench/gen-config.js";
import { mutate, noise, rng } from "../fuzz/fuzz.js";
import { seedTexts } from "../fuzz/seeds.js";

/** Every statement the grammar knows, in every block, and every value shape. */
export const EVERY_STATEMENT = `define nets = 10.0.0.0/8, fd00::/64
define one = 10.1.0.1
include "more/*.vsc"
host h {
  cpus 4  memory 8GiB  cgroup-root "a/b c"
  disk vda 254:0
  link eth0 rate 1gbit
  keep cpu 10%  keep memory 1GiB
  overbook memory 2.5
}
template t {
  cpu { share 2  reserve 1.5 cpus  limit 2 cpu  burst 20ms  cores 1 }
  memory { reserve 1MiB low 2MiB high 3MiB limit max swap 0 }
  pids { limit 100 }
  io { share 50  device vda { read 10MB/s  write 5MB/s  riops 100  wiops 50 } }
  net {
    address 10.0.0.1, fd00::1  default deny
    link eth0 { share 1  reserve 1mbit  limit 2mbit }
    allow in tcp port 80, 8000-8080
    allow out udp to $nets, 192.168.0.0/16 port 53
    allow in from $one
    allow out
    allow in icmp
  }
  rlimit { nofile 1024 4096  memlock max  core 0 }
  security {
    capabilities keep chown, setuid
    capabilities drop net_raw
    namespaces pid, uts
    hostname "web-1"  root "/srv/x \\"y\\""
  }
}
class c in p { use t  id 7 }
context x in c { use t id 8 cpu { share 1 } }
context io { id 9 }
`;

/** Small texts with one mistake each (what the fast path used to leave to the grammar). */
export const MISTAKES = [
  "context a { cpu { shares 2 } }",
  "context a { cpu { share 2 }",
  "context a { cpu { share } }",
  "context a { cpu { share 1, } }",
  "context A { }",
  "context a { id 1.2.3 }",
  "host h in p { }",
  "} context a { }",
  "context a { rlimit { nofile 1 max 5 } }",
];

/** The valid texts of the corpus (seeds, every statement, a config of several chunks). */
export function validTexts(): string[] {
  return [
    ...seedTexts(),
    EVERY_STATEMENT,
    generateConfig(300).replace(/^context ctx-7 /m, "# c\ncontext ctx-7 "),
  ];
}

export function corpus(): string[] {
  const seeds = [...seedTexts(), generateConfig(20)];
  const out = [...validTexts(), ...MISTAKES];
  const r = rng(20261130);
  for (let i = 0; i < 5000; i++) out.push(mutate(seeds[Math.floor(r() * seeds.length)]!, r));
  const n = rng(20261206);
  for (let i = 0; i < 1000; i++) out.push(noise(n));
  return out;
}

/** Cases per digest line. */
export const GROUP = 50;

/** One line per GROUP cases: `first-last sha256(JSON of each parse, in order)`. */
export function digests(texts: string[], parse: (text: string) => unknown): string[] {
  const lines: string[] = [];
  for (let i = 0; i < texts.length; i += GROUP) {
    const h = createHash("sha256");
    const end = Math.min(i + GROUP, texts.length);
    for (let j = i; j < end; j++) h.update(JSON.stringify(parse(texts[j]!)) + "\n");
    lines.push(`${i}-${end - 1} ${h.digest("hex").slice(0, 32)}`);
  }
  return lines;
}
