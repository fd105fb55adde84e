/**
 * Generates a valid, admissible vsc configuration with `n` contexts (up to
 * 60,000), grouped 100 to a class, with the statements real hosts use:
 * shares, a few reservations, limits, per-context bandwidth, addresses and
 * filter rules. Deterministic: the same n gives the same text. Used by the
 * benchmarks and as seeds for the fuzz tests.
 */
/**
 * `peers`: every context also names peers (language-v2.md §2): inbound from
 * the context before it (`from context ctx-(i-1)`, a set per context) and
 * outbound to its whole class (`to class tier-c`, a set of 100 addresses).
 * Without it the text is byte for byte what it always was (the parser's
 * corpus and every other benchmark use it).
 */
export function generateConfig(
  n: number,
  opts: { cgroupRoot?: string; peers?: boolean; traffic?: boolean } = {},
): string {
  if (n < 1 || n > 60000) throw new Error(`generateConfig: n must be in 1..60000, got ${n}`);
  const out: string[] = [];
  out.push(`# generated: ${n} contexts`);
  out.push(`define resolvers = 10.255.0.2, 10.255.0.3`);
  out.push(`host gen-${n} {`);
  out.push(`  cpus 64`);
  out.push(`  memory 1TiB`);
  out.push(`  disk sda 8:0`);
  out.push(`  link eth0 rate 100gbit`);
  out.push(`  keep cpu 5%`);
  out.push(`  keep memory 8GiB`);
  out.push(`  overbook memory 4.0`);
  if (opts.cgroupRoot) out.push(`  cgroup-root "${opts.cgroupRoot}"`);
  out.push(`}`);
  out.push(``);
  out.push(`template tenant {`);
  out.push(`  cpu { share 1 }`);
  out.push(`  memory { high 96MiB  limit 128MiB }`);
  out.push(`  pids { limit 256 }`);
  out.push(`  net {`);
  out.push(`    link eth0 { share 1  limit 100mbit }`);
  out.push(`    allow out udp to $resolvers port 53`);
  out.push(`    default deny`);
  out.push(`  }`);
  out.push(`  rlimit { nofile 1024 }`);
  out.push(`  security { namespaces pid, uts, ipc, mount }`);
  out.push(`}`);
  const classes = Math.ceil(n / 100);
  for (let c = 0; c < classes; c++) {
    out.push(``);
    out.push(`class tier-${c} {`);
    out.push(`  cpu { share ${1 + (c % 8)} }`);
    out.push(`  memory { limit 64GiB }`);
    out.push(`  net { link eth0 { share ${1 + (c % 4)}  limit 10gbit } }`);
    out.push(`}`);
  }
  for (let i = 1; i <= n; i++) {
    const cls = Math.floor((i - 1) / 100);
    const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    out.push(``);
    out.push(`context ctx-${i} in tier-${cls} {`);
    out.push(`  use tenant`);
    out.push(`  id ${i}`);
    // One context in 50 buys a small cpu reservation and a bandwidth floor.
    if (i % 50 === 0) {
      out.push(`  cpu { share ${1 + (i % 7)}  reserve 10m  limit 2 cpus }`);
      out.push(`  memory { reserve 16MiB  limit 256MiB }`);
    } else {
      out.push(`  cpu { share ${1 + (i % 7)} }`);
    }
    out.push(`  net {`);
    out.push(`    address ${a}`);
    const link =
      i % 50 === 0 ? `    link eth0 { reserve 1mbit  limit 200mbit` : `    link eth0 { share 2`;
    // Three traffic classes a context (language-v2.md §3), disjoint matches.
    const traffic = opts.traffic
      ? `\n      traffic ssh { match tcp port 22  prio 0 }` +
        `\n      traffic bulk { match udp port 5000-5100  limit 10mbit  prio 7 }` +
        (opts.peers
          ? // With peers by name, the third matches by name too (the class's set, as allow uses).
            `\n      traffic peers { match udp to class tier-${cls} port 6000-6100  prio 1 }\n    }`
          : `\n      traffic ping { match icmp, icmpv6  prio 1 }\n    }`)
      : " }";
    out.push(link + traffic);
    out.push(`    allow in tcp port 80, 443`);
    out.push(`    allow out tcp to 10.254.0.0/16 port 5432`);
    if (opts.peers) {
      if (i > 1) out.push(`    allow in tcp from context ctx-${i - 1} port 5432`);
      out.push(`    allow out to class tier-${cls}`);
    }
    out.push(`  }`);
    out.push(`}`);
  }
  return out.join("\n") + "\n";
}
