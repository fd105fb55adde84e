/**
 * Peers by name, except, reject and log (language-v2.md §2) as the checker
 * reads them and ruleset.nft lays them out. The packets themselves are in
 * peers-netns.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitTarget } from "../../src/emit/index.js";
import { desiredState } from "../../src/model/state.js";
import type { VscIr } from "../../src/ir/types.gen.js";
import { parseSource } from "../../src/syntax/parse.js";
import { formatSource } from "../../src/fmt/format.js";
import { checkText, summary } from "../check/helpers.js";
import { isRoot, nftCheck } from "./tools.js";
import { InternalError } from "../../src/diag/internal-error.js";
import { rulesetProblems } from "../../src/plan/ruleset-check.js";

const HOST = `host h {
  cpus 2
  memory 4GiB
}
`;

function compile(text: string): VscIr {
  const r = checkText(HOST + text);
  assert.equal(summary(r.diagnostics), []);
  return r.ir!;
}

/** The rule lines of chain `name` (comments dropped), or undefined when it is absent. */
function chain(ruleset: string, name: string): string[] | undefined {
  const m = new RegExp(`\\n\\tchain ${name} \\{\\n([^}]*)\\n\\t\\}`).exec(ruleset);
  if (!m) return undefined;
  return m[1]!
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => !l.startsWith("#"));
}
/** The element line of set `name`, or undefined. */
function setElements(ruleset: string, name: string): string | undefined {
  const m = new RegExp(`\\n\\tset ${name} \\{\\n[^}]*elements = \\{ ([^}]*) \\}`).exec(ruleset);
  return m?.[1];
}

const nft = (text: string) => emitTarget(compile(text), "nft");

const PEERS = `class backend {}
context app in backend { id 1  net { address 10.0.0.1, fd00::1 } }
context cache in backend { id 2  net { address 10.0.1.0/24 } }
context db {
  id 3
  net {
    address 10.0.9.9
    allow in tcp from context app, 192.168.0.0/16 except 192.168.7.0/24 port 5432
    allow out to class backend
    default reject
  }
}
`;

test("peers by name become sets named after the peer, one rule per family and source", () => {
  const r = nft(PEERS);
  assert.is(setElements(r, "peer_app_v4"), "10.0.0.1");
  assert.is(setElements(r, "peer_app_v6"), "fd00::1");
  assert.is(setElements(r, "peer_backend_v4"), "10.0.0.1, 10.0.1.0/24");
  assert.is(setElements(r, "peer_backend_v6"), "fd00::1");
  assert.equal(chain(r, "in_db"), [
    "ct state established,related accept",
    "ip saddr 192.168.0.0/16 ip saddr != 192.168.7.0/24 tcp dport 5432 accept",
    "ip saddr @peer_app_v4 ip saddr != 192.168.7.0/24 tcp dport 5432 accept",
    "ip6 saddr @peer_app_v6 tcp dport 5432 accept",
    "meta l4proto tcp reject with tcp reset",
    "meta l4proto udp reject with icmpx type port-unreachable",
    "reject with icmpx type admin-prohibited",
  ]);
  assert.equal(chain(r, "out_db")!.slice(2), [
    "ct state established,related accept",
    "ip daddr @peer_backend_v4 accept",
    "ip6 daddr @peer_backend_v6 accept",
    "meta l4proto tcp reject with tcp reset",
    "meta l4proto udp reject with icmpx type port-unreachable",
    "reject with icmpx type admin-prohibited",
  ]);
});

test("a set nobody names is not written; the IR keeps named peers and exceptions", () => {
  const ir = compile(PEERS);
  const r = emitTarget(ir, "nft");
  assert.is(setElements(r, "peer_cache_v4"), undefined);
  const db = ir.nodes.find((n) => n.name === "db")!;
  assert.equal(db.net.rules[0]!.named, [{ kind: "context", name: "app" }]);
  assert.equal(
    db.net.rules[0]!.except!.map((c) => `${c.address}/${c.prefix}`),
    ["192.168.7.0/24"],
  );
  assert.is(db.net.default, "reject");
  // v1 rules keep their bytes: no empty named/except.
  const plain = compile(`context x { id 9  net { allow in tcp port 22 } }\n`);
  assert.equal(Object.keys(plain.nodes[0]!.net.rules[0]!).sort(), [
    "direction",
    "loc",
    "peers",
    "ports",
    "proto",
  ]);
});

test("default deny log: a rate-limited, counted log line naming the context, then the drop", () => {
  const r = nft(
    `context edge { id 5  net { address 10.0.0.5  allow in tcp port 443  default deny log } }\n`,
  );
  assert.equal(chain(r, "in_edge"), [
    "ct state established,related accept",
    "tcp dport 443 accept",
    'limit rate 10/second burst 20 packets counter log prefix "vsc edge: "',
    "drop",
  ]);
});

test("default allow log logs what reaches the default and accepts it (an audit before deny)", () => {
  const r = nft(
    `context a { id 5  net { address 10.0.0.5  allow in tcp port 443  default allow log } }\n`,
  );
  assert.equal(chain(r, "in_a"), [
    "ct state established,related accept",
    "tcp dport 443 accept",
    'limit rate 10/second burst 20 packets counter log prefix "vsc a: "',
  ]);
});

test("class default reject log is inherited: the context's chain names the context in the prefix", () => {
  const r = nft(`class t { net { default reject log  allow in from context peer } }
context peer { id 1  net { address 10.1.0.1 } }
context w in t { id 2  net { address 10.1.0.2 } }
`);
  assert.equal(chain(r, "in_t"), ["ip saddr @peer_peer_v4 accept"]);
  const lines = chain(r, "in_w")!;
  assert.equal(lines.slice(-5), [
    "jump in_t",
    'limit rate 10/second burst 20 packets counter log prefix "vsc w: "',
    "meta l4proto tcp reject with tcp reset",
    "meta l4proto udp reject with icmpx type port-unreachable",
    "reject with icmpx type admin-prohibited",
  ]);
});

test("ports without a protocol mean tcp and udp", () => {
  const r = nft(`context a { id 5  net { address 10.0.0.5  allow in port 53  default deny } }\n`);
  assert.ok(r.includes("\n\t\tmeta l4proto { tcp, udp } th dport 53 accept\n"), r);
});

test("the checker: unknown peers suggest, self and address-less peers are errors", () => {
  const r = checkText(
    HOST +
      `class backend {}
context app in backend { id 1  net { address 10.0.0.1 } }
context bare { id 2 }
context db {
  id 3
  net {
    allow in from context ap
    allow in from context backend
    allow in from class bare
    allow in from context bare
    allow in from context db
    allow out to class backend except 10.0.0.0/8
  }
}
`,
  );
  const got = r.diagnostics.map((d) => `${d.code} ${d.message}${d.help ? ` | ${d.help}` : ""}`);
  assert.equal(got, [
    'VSC2060 unknown context "ap" in a peer | did you mean "app"?',
    'VSC2061 "backend" is a class, not a context | write class backend',
    'VSC2061 "bare" is a context, not a class | write context bare',
    'VSC4040 context "bare" has no address, so it cannot be a peer | give context bare an address (net { address ... }): a peer is matched by its addresses',
    'VSC4041 context "db" names itself as a peer | a context\'s own traffic to itself never passes its policy: remove this peer (allow rules name the other side)',
    "VSC4042 except 10.0.0.0/8 is not inside 10.0.0.1/32 | an exception carves a smaller prefix out of the rule's peers: write one that lies inside them (or drop it)",
  ]);
});

test("`default` takes deny, reject or allow, and `log` only after it", () => {
  const bad = checkText(HOST + `context a { id 1  net { default drop } }\n`);
  assert.equal(
    summary(bad.diagnostics).map((s) => s.split("@")[0]),
    ["VSC2030"],
  );
  const two = checkText(HOST + `context a { id 1  net { default deny, allow } }\n`);
  assert.ok(two.diagnostics.some((d) => d.severity === "error"));
  assert.is(two.ir, undefined);
  const stray = parseSource(`context a { id 1  net { log } }\n`, "m.vsc");
  assert.ok(stray.diagnostics.length > 0);
});

test("the formatter keeps every new form", () => {
  const src = `context db {
  id 3
  net {
    allow in tcp from context app, class backend, 10.0.0.0/8 except 10.1.0.0/16, 10.2.0.0/16 port 5432
    default reject log
  }
}
`;
  const f = formatSource(src, "m.vsc");
  assert.equal(f.diagnostics, []);
  assert.is(f.text, src);
});

test("a saved plan's ruleset check accepts the sets, rejects and logs vsc writes", () => {
  const d = desiredState(
    compile(PEERS + `context edge { id 5  net { address 10.0.0.5  default deny log } }\n`),
  );
  assert.equal(rulesetProblems(d.nft.ruleset), []);
  // The digest covers the sets: moving a peer's address changes it (so plan/apply reload).
  const moved = desiredState(
    compile(
      PEERS.replace("10.0.0.1, fd00::1", "10.0.0.7, fd00::1") +
        `context edge { id 5  net { address 10.0.0.5  default deny log } }\n`,
    ),
  );
  assert.is.not(moved.nft.digest, d.nft.digest);
});

test("ruleset with sets, reject and log passes nft -c", () => {
  if (!isRoot()) return;
  const d = desiredState(
    compile(
      PEERS +
        `context edge { id 5  net { address 10.0.0.5  allow in tcp port 443  default deny log } }\n`,
    ),
  );
  const r = nftCheck(d.nft.ruleset, d.nft.cgroupPaths);
  assert.is(r.status, 0, r.stderr);
});

test("a name that could leave the log prefix or a set name is refused by the emitter, never written", () => {
  const ir = compile(
    PEERS + `context edge { id 5  net { address 10.0.0.5  default deny log } }\n`,
  ) as unknown as { nodes: { name: string; net: { rules: { named?: { name: string }[] }[] } }[] };
  const evil = `edge" ; } table ip evil { chain c { drop; } } #`;
  const hostile = structuredClone(ir);
  hostile.nodes.find((n) => n.name === "edge")!.name = evil;
  assert.throws(
    () => emitTarget(hostile as unknown as VscIr, "nft"),
    (e: Error) => e instanceof InternalError,
  );
  const hostilePeer = structuredClone(ir);
  hostilePeer.nodes.find((n) => n.name === "db")!.net.rules[0]!.named![0]!.name = evil;
  assert.throws(
    () => emitTarget(hostilePeer as unknown as VscIr, "nft"),
    (e: Error) => e instanceof InternalError,
  );
});

test.run();
