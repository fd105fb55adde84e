import type { CodeTable } from "./types.js";

/** VSC3xxx types and units; owned by the checker (src/check). */
export const unitsCodes: CodeTable = {
  VSC3001: {
    title: "unknown unit",
    explain:
      "A quantity's unit is not in the language's table. cpu: `cpus`/`cpu`, `m`, `%`; bytes: `B`, " +
      "`KiB` `MiB` `GiB` `TiB`, `KB` `MB` `GB` `TB`; bit rate: `bit` `kbit` `mbit` `gbit` `tbit`; byte " +
      "rate: `B/s` `KB/s` `MB/s` `GB/s` `KiB/s` `MiB/s` `GiB/s`; time: `us` `ms` `s`.\n\n" +
      '    memory { limit 2Gib }        # error: did you mean "GiB"?',
  },
  VSC3002: {
    title: "ambiguous unit",
    explain:
      "A prefix alone (`M`, `G`, `k`, `K`, `T`, `Mi`) does not say whether powers of 1000 or 1024 are " +
      "meant, or whether bits or bytes; tc's `mbps` even means megabytes per second. `512m` of memory " +
      "is refused too (`m` is millicpu).\n\n    memory { limit 512M }        # error\n" +
      "    memory { limit 512MiB }      # 536870912 bytes\n    memory { limit 512MB }       # 512000000 bytes\n\n" +
      "Write the full unit; link rates are in bits (`mbit`).",
  },
  VSC3003: {
    title: "quantity of the wrong kind",
    explain:
      "A quantity has a valid unit of another kind than the field expects, and the message names both:\n\n" +
      "    net { link eth0 { limit 512MiB } }   # error: expects a bit rate, got bytes\n\n" +
      "Link rates are bit rates (`400mbit`), disk rates are byte rates (`50MB/s`), memory is bytes, " +
      "cpu is `cpus`/`m`/`%`, burst is a time.",
  },
  VSC3004: {
    title: "missing unit",
    explain:
      "A bare number is read as bytes (memory) or as a count; anywhere else a non-zero number needs a " +
      "unit, and a bare decimal is never a number of bytes.\n\n" +
      "    cpu { limit 2 }              # error: write 2cpus or 2000m\n    memory { limit 1.5 }         # error\n\n" +
      "`0` needs no unit anywhere.",
  },
  VSC3005: {
    title: "not a whole number",
    explain:
      "Values are stored as whole numbers of a base unit (millicpu, bytes, bit/s, bytes/s, " +
      "microseconds, seconds for rlimit cpu), and this one is not: `1.5B`, `0.5m`, `1.5us`, `share 1.5`. " +
      "vsc does not round silently (only `%` of the host's cpus rounds to the nearest millicpu). " +
      "Use a smaller unit or a rounder number.",
  },
  VSC3006: {
    title: "value out of range",
    explain:
      "A value is outside its range: share 1..10000 (cpu, io, link), id 1..60000, percentages 0..100, " +
      "ports 1..65535 (and ranges low-high), prefix lengths 0..32 / 0..128, cpu limit at least 10m " +
      "(cpu.max's 1ms minimum quota per 100ms), io rates and iops at least 1, host cpus 1..4096, " +
      "rlimit nice 0..40 and rtprio 0..99, an overbook factor of at least 1.0, or a value too large to store.",
  },
  VSC3007: {
    title: "wrong type of value",
    explain:
      "A statement has the wrong number or kind of values: a string where a number goes, two values " +
      "where one goes, `max` where no limit is not allowed (reserve), or a block name used as a field " +
      '(`cpu 2` instead of `cpu { ... }`).\n\n    cpu { share "2" }            # error: expects a count, got a string',
  },
  VSC3008: {
    title: "cpu burst without a cpu limit",
    explain:
      "`cpu.burst` (cpu.max.burst) lets a limited group run over its quota briefly; without a " +
      "`limit` there is no quota to burst over.\n\n    cpu { burst 20ms }           # error\n" +
      "    cpu { limit 1cpus  burst 20ms }",
  },
  VSC3009: {
    title: "cpu burst above the quota",
    explain:
      "The kernel refuses a cpu.max.burst larger than the quota. vsc writes cpu.max with the default " +
      "100ms period, so `limit 0.1cpus` is a 10ms quota and allows a burst of at most 10ms.",
  },
  VSC3010: {
    title: "invalid address",
    explain:
      "An IPv4 or IPv6 address is malformed: an octet above 255, a leading zero (`010`, read as octal " +
      "by some tools), too many groups, or two `::`. Write the address in its usual form.",
  },
  VSC3011: {
    title: "address has host bits set (warning)",
    explain:
      "An address with a prefix has bits set below the prefix, like `10.0.0.11/24`. It means the " +
      "network `10.0.0.0/24`, which may not be what was meant. Write the network (`10.0.0.0/24`) or " +
      "the single address (`10.0.0.11`).",
  },
  VSC3012: {
    title: "ports without tcp or udp",
    explain:
      "Ports exist only for tcp and udp. A rule with ports and no protocol means both (language v2); " +
      "a rule that names `any`, `icmp` or `icmpv6` cannot have ports.\n\n" +
      "    allow in icmp port 80        # error\n    allow in tcp port 80         # tcp only\n" +
      "    allow in port 53             # tcp and udp",
  },
  VSC3013: {
    title: "invalid string value",
    explain:
      "A string does not have the required form: `cgroup-root` is a relative path of names " +
      '("vsc", "machines/vsc"); `security.root` is an absolute path without `.` or `..`; a hostname ' +
      'follows RFC 1123; `cores "1-2,4"` is a cpu list; a host link name has at most 15 characters.',
  },
};
