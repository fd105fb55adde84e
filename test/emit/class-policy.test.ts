/**
 * Class network policy (language-v2.md §1) as ruleset.nft lays it out: a
 * context's chain holds its own allows, then one `jump` to the allow chain of
 * each ancestor class that has allows of that direction, then the nearest
 * `default` decides. The packets themselves are in class-policy-netns.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitTarget } from "../../src/emit/index.js";
import { desiredState } from "../../src/model/state.js";
import type { VscIr } from "../../src/ir/types.gen.js";
import { checkFiles, checkText, fixture, summary } from "../check/helpers.js";
import { isRoot, nftCheck } from "./tools.js";

const HOST = `host h {
  cpus 2
  memory 4GiB
  link eth0 rate 1gbit
}
`;

function compile(text: string): VscIr {
  const r = checkText(text);
  assert.equal(summary(r.diagnostics), []);
  return r.ir!;
}

/** The lines of chain `name` (rules only, or comments only), or undefined when it is absent. */
function chain(ruleset: string, name: string, comments = false): string[] | undefined {
  const m = new RegExp(`\\n\\tchain ${name} \\{\\n([^}]*)\\n\\t\\}`).exec(ruleset);
  if (!m) return undefined;
  return m[1]!
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("#") === comments)
    .map((l) => (comments ? l.slice(2) : l));
}

const nft = (text: string) => emitTarget(compile(text), "nft");

test("the spec's example: api takes tcp 22 from the class, 443 from itself, and drops the rest", () => {
  const r = nft(fixture("test/golden/cases/class-policy-spec/input.vsc"));
  assert.equal(chain(r, "in_api"), [
    "ct state established,related accept",
    "tcp dport 443 accept",
    "jump in_tenant",
    "drop",
  ]);
  assert.equal(chain(r, "in_tenant"), ["tcp dport 22 accept"]);
  assert.equal(chain(r, "out_api"), [
    "ip saddr != 10.244.1.10 drop",
    "meta nfproto ipv6 drop",
    "ct state established,related accept",
    "jump out_tenant",
    "drop",
  ]);
  assert.equal(chain(r, "out_tenant"), ["ip daddr 10.244.0.0/16 accept"]);
  // The drop says where the default was written: the class's line 11.
  assert.ok(chain(r, "in_api", true)!.includes("default deny of class tenant (main.vsc:11)"));
});

test("before this fix a class's default deny compiled to nothing: a context below now drops", () => {
  const r = nft(`${HOST}
class c { net { default deny } }
context x in c { id 1 }
`);
  assert.equal(chain(r, "in_x"), ["ct state established,related accept", "drop"]);
  assert.equal(chain(r, "out_x"), ["ct state established,related accept", "drop"]);
  assert.match(r, /socket cgroupv2 level 3 vmap \{\n\t\t\t"vsc\/c\/x" : jump in_x,/);
});

test("allows are the union up the tree: own first, then each ancestor's, nearest first", () => {
  const r = nft(`${HOST}
class top { net { allow in tcp port 22  default deny } }
class mid in top { }
class low in mid { net { allow in udp port 53  allow out tcp port 443 } }
context x in low { id 1  net { address 10.0.0.1  allow in tcp port 8080 } }
`);
  assert.equal(chain(r, "in_x"), [
    "ct state established,related accept",
    "tcp dport 8080 accept",
    "jump in_low",
    "jump in_top",
    "drop",
  ]);
  assert.equal(chain(r, "in_low"), ["udp dport 53 accept"]);
  assert.equal(chain(r, "in_top"), ["tcp dport 22 accept"]);
  // mid has no rules of its own: no chain, no jump.
  assert.is(chain(r, "in_mid"), undefined);
  assert.equal(chain(r, "out_x")!.slice(2), [
    "ct state established,related accept",
    "jump out_low",
    "drop",
  ]);
  assert.is(chain(r, "out_top"), undefined);
});

test("the nearest default decides: the context's own, else the nearest class's", () => {
  const r = nft(`${HOST}
class top { net { default deny  allow in tcp port 22 } }
class open in top { net { default allow } }
class shut in open { net { default deny } }
context a in top { id 1  net { default allow } }
context b in open { id 2 }
context c in shut { id 3 }
context d in open { id 4  net { default deny } }
`);
  // a: its own allow beats the class's deny; the class's rules still apply (and change nothing).
  assert.equal(chain(r, "in_a"), ["jump in_top"]);
  assert.is(chain(r, "out_a"), undefined);
  // b: open's allow is nearer than top's deny.
  assert.equal(chain(r, "in_b"), ["jump in_top"]);
  // c: shut's deny, two levels below top's rules.
  assert.equal(chain(r, "in_c"), ["ct state established,related accept", "jump in_top", "drop"]);
  assert.ok(chain(r, "in_c", true)!.includes("default deny of class shut (main.vsc:9)"));
  assert.equal(chain(r, "in_d"), ["ct state established,related accept", "jump in_top", "drop"]);
  assert.ok(chain(r, "in_d", true)!.includes("default deny (main.vsc:13)"));
});

test("with no default anywhere every packet is accepted: the rules are kept, nothing drops", () => {
  const r = nft(`${HOST}
class c { net { allow in tcp port 22 } }
context x in c { id 1  net { allow out udp port 53 } }
`);
  assert.equal(chain(r, "in_x"), ["jump in_c"]);
  assert.equal(chain(r, "out_x"), ["udp dport 53 accept"]);
  assert.not.match(r, /\bdrop\b/);
});

test("templates: a class's template gives the class rules, a context's template its own", () => {
  const r = nft(`${HOST}
template ssh { net { allow in tcp port 22 } }
template locked {
  net {
    allow out udp port 53
    default deny
  }
}
class c {
  use ssh
  net { allow in tcp port 80 }
}
context x in c {
  use locked
  id 1
  net { allow in tcp port 443 }
}
`);
  assert.equal(chain(r, "in_c"), ["tcp dport 22 accept", "tcp dport 80 accept"]);
  assert.equal(chain(r, "in_x"), [
    "ct state established,related accept",
    "tcp dport 443 accept",
    "jump in_c",
    "drop",
  ]);
  assert.equal(chain(r, "out_x"), [
    "ct state established,related accept",
    "udp dport 53 accept",
    "drop",
  ]);
  // The default came from the template's line 11, not from x's net block (line 21).
  for (const name of ["in_x", "out_x"])
    assert.ok(
      chain(r, name, true)!.includes("default deny (main.vsc:11)"),
      `${name}: ${chain(r, name, true)!.join(" | ")}`,
    );
});

test("a context's template default beats its class's: it is the context's own", () => {
  const r = nft(`${HOST}
template open { net { default allow } }
class c { net { default deny } }
context x in c {
  use open
  id 1
}
`);
  assert.is(chain(r, "in_x"), undefined);
  assert.is(chain(r, "out_x"), undefined);
});

test("the IR says where each default was written", () => {
  const ir = compile(`${HOST}
template locked { net { default deny } }
class c { net { default allow } }
context x in c {
  use locked
  id 1
  net { address 10.0.0.1 }
}
`);
  const net = (name: string) => ir.nodes.find((n) => n.name === name)!.net;
  assert.equal(net("x").defaultLoc, { file: "main.vsc", line: 7, col: 25 });
  assert.equal(net("c").defaultLoc, { file: "main.vsc", line: 8, col: 17 });
  assert.is(net("x").default, "deny");
});

test("a class chain no context uses is not written; a class's link stays a class's link", () => {
  const r = checkText(`${HOST}
class lonely { net { allow in tcp port 22  default deny } }
class shaped { net { link eth0 { limit 100mbit }  allow in icmp } }
context x in shaped { id 1 }
`);
  assert.equal(summary(r.diagnostics), []);
  const text = emitTarget(r.ir!, "nft");
  assert.is(chain(text, "in_lonely"), undefined);
  assert.equal(chain(text, "in_shaped"), ["meta l4proto icmp accept"]);
  assert.equal(chain(text, "in_x"), ["jump in_shaped"]);
});

test("a class may not bind addresses: net address on a class is VSC2031, also through a template", () => {
  const r = checkFiles({
    "main.vsc": `${HOST}
template bound { net { address 10.0.0.9 } }
class c { net { address 10.0.0.1  default deny } }
class d { use bound }
`,
  });
  assert.equal(summary(r.diagnostics), ["VSC2031@7:24", "VSC2031@8:17"]);
  assert.match(r.diagnostics[0]!.message, /from template "bound"/);
});

test("a deep class chain loads: every jump is from the context's chain (depth 2)", () => {
  if (!isRoot()) return console.log("  (skipped nft -c: not root)");
  // The kernel refuses jumps nested deeper than 16 chains; 20 classes with rules stay at 2.
  let text = HOST;
  for (let i = 0; i < 20; i++)
    text += `class k${i}${i ? ` in k${i - 1}` : ""} { net { allow in tcp port ${1000 + i} } }\n`;
  text += "context x in k19 { id 1  net { default deny } }\n";
  const ir = compile(text);
  const d = desiredState(ir);
  assert.is(chain(d.nft.ruleset, "in_x")!.filter((l) => l.startsWith("jump ")).length, 20);
  const r = nftCheck(d.nft.ruleset, d.nft.cgroupPaths);
  assert.is(r.status, 0, r.stderr);
});

test.run();
