/** Address parsing and canonical text (src/check/addresses.ts). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatAddress, parseCidr, parseIpv4, parseIpv6 } from "../../src/check/addresses.js";
import { rng } from "../fuzz/fuzz.js";

test("IPv4: four decimal octets 0..255, no leading zeros", () => {
  assert.is(parseIpv4("10.0.0.1"), 0x0a000001n);
  assert.is(parseIpv4("255.255.255.255"), 0xffffffffn);
  for (const bad of [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.",
    ".1.2.3",
    "1..2.3",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3.a",
    "1.2.3.4 ",
  ])
    assert.is(parseIpv4(bad), undefined, bad);
});

test("IPv4 agrees with the plain definition on random text", () => {
  const plain = (text: string): bigint | undefined => {
    const parts = text.split(".");
    if (parts.length !== 4) return undefined;
    let v = 0;
    for (const p of parts) {
      if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
      v = v * 256 + Number(p);
    }
    return BigInt(v);
  };
  const r = rng(4);
  const alphabet = "0123456789..a-";
  for (let k = 0; k < 50000; k++) {
    let t = "";
    if (r() < 0.3) t = [0, 1, 2, 3].map(() => String(Math.floor(r() * 300))).join(".");
    else
      for (let i = Math.floor(r() * 17); i > 0; i--)
        t += alphabet[Math.floor(r() * alphabet.length)];
    assert.is(parseIpv4(t), plain(t), t);
  }
});

test("a parsed network carries its canonical text", () => {
  const c = parseCidr(6, "FD00:0:0::11", 64);
  assert.ok(typeof c === "object");
  assert.is(c.address, "fd00::");
  assert.is(c.address, formatAddress(6, c.net));
  assert.ok(c.hostBits);
  assert.is(parseIpv6("::ffff:10.0.0.1"), 0xffff0a000001n);
});

test.run();
