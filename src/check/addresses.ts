/**
 * IPv4/IPv6 parsing and canonical text (RFC 5952 for IPv6: lower case,
 * no leading zeros, the longest run of two or more zero groups as `::`).
 * Addresses are held as BigInt so overlap tests are plain interval math.
 */

export interface ParsedCidr {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  net: bigint;
  prefix: number;
  /** True when the written address had bits set below the prefix (10.0.0.11/24). */
  hostBits: boolean;
  /** The network address's canonical text (formatAddress of `net`), made once when parsed. */
  address: string;
}

export const familyBits = (family: 4 | 6): number => (family === 4 ? 32 : 128);

export function parseIpv4(text: string): bigint | undefined {
  // Four decimal octets 0..255; leading zeros are refused (some tools read
  // 010 as octal). A loop over char codes: one address per context and rule.
  let v = 0;
  let octets = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = i;
    let octet = 0;
    while (i < n && i - start < 4) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48))
      return undefined;
    if (octet > 255) return undefined;
    v = v * 256 + octet;
    octets++;
    if (i === n) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return undefined;
    i++;
    if (i === n) return undefined; // a trailing dot
  }
  return octets === 4 ? BigInt(v) : undefined;
}

export function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let v4: bigint | undefined;
  if (text.includes(".")) {
    // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
    const lastColon = text.lastIndexOf(":");
    if (lastColon < 0) return undefined;
    v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const want = v4 === undefined ? 8 : 6;
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parseHalf = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const a = parseHalf(halves[0]!);
  const b = halves.length === 2 ? parseHalf(halves[1]!) : [];
  if (!a || !b) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    if (a.length + b.length > want - 1) return undefined;
    groups = [...a, ...new Array<number>(want - a.length - b.length).fill(0), ...b];
  } else {
    if (a.length !== want) return undefined;
    groups = a;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (v4 !== undefined) v = (v << 32n) | v4;
  return v;
}

export function formatIpv4(v: bigint): string {
  const n = Number(v);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function formatIpv6(v: bigint): string {
  // RFC 5952 section 5: IPv4-mapped addresses keep their dotted tail.
  if (v >> 32n === 0xffffn) return `::ffff:${formatIpv4(v & 0xffffffffn)}`;
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952 4.2: compress the longest run (>= 2) of zero groups, the first on a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

export function formatAddress(family: 4 | 6, v: bigint): string {
  return family === 4 ? formatIpv4(v) : formatIpv6(v);
}

/** Parses `address` (no prefix) with an optional prefix; undefined if invalid. */
export function parseCidr(
  family: 4 | 6,
  address: string,
  prefix: number | undefined,
): ParsedCidr | "bad-address" | "bad-prefix" {
  const v = family === 4 ? parseIpv4(address) : parseIpv6(address);
  if (v === undefined) return "bad-address";
  const bits = familyBits(family);
  const p = prefix ?? bits;
  if (!Number.isInteger(p) || p < 0 || p > bits) return "bad-prefix";
  const hostMask = (1n << BigInt(bits - p)) - 1n;
  const net = v & ~hostMask;
  return {
    family,
    net,
    prefix: p,
    hostBits: (v & hostMask) !== 0n,
    address: formatAddress(family, net),
  };
}

/** Inclusive [first, last] of a network. */
export function cidrRange(c: { family: 4 | 6; net: bigint; prefix: number }): [bigint, bigint] {
  const size = 1n << BigInt(familyBits(c.family) - c.prefix);
  return [c.net, c.net + size - 1n];
}
