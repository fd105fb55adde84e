/**
 * Every checker code, triggered by a small program, asserted by code and
 * exact position (the `»` in `at` marks the column inside the needle).
 * Also keeps src/check/codes.ts and the catalog in step.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Code } from "../../src/check/codes.js";
import { namesCodes } from "../../src/diag/codes/names.js";
import { policyCodes } from "../../src/diag/codes/policy.js";
import { unitsCodes } from "../../src/diag/codes/units.js";
import { securityCheckCodes } from "../../src/diag/codes/security.js";
import { trafficCodes } from "../../src/diag/codes/traffic.js";
import { HOST, checkText, pos, summary } from "./helpers.js";

interface Case {
  code: string;
  src: string;
  /** Needle whose position (or the `»` inside it) is the expected span start; null: no span. */
  at: string | null;
  nth?: number;
  severity?: "error" | "warning";
}

const ctx = (body: string, name = "a", id = 1) =>
  `${HOST}context ${name} { id ${id}\n  ${body}\n}\n`;

const cases: Case[] = [
  // traffic classes, leaf queues, ingress (language-v2.md §3)
  {
    code: "VSC2070",
    src: ctx("net { link eth0 { traffic a { match tcp port 22 }  traffic a { match udp } } }"),
    at: "traffic »a { match udp",
  },
  { code: "VSC2071", src: ctx("net { link eth0 { qdisc codel } }"), at: "codel" },
  { code: "VSC3036", src: ctx("net { link eth0 { reserve 120% } }"), at: "120%" },
  {
    code: "VSC3037",
    src: ctx("net { link eth0 { traffic a { match tcp from 10.0.0.0/8 } } }"),
    at: "from",
  },
  {
    code: "VSC3012",
    src: ctx("net { link eth0 { traffic a { match icmp port 22 } } }"),
    at: "port »22",
  },
  {
    code: "VSC4050",
    src: ctx(
      "net { link eth0 { reserve 2mbit  traffic a { match tcp  reserve 1mbit }  traffic b { match udp  reserve 2mbit } } }",
    ),
    at: "reserve 2mbit }",
  },
  {
    code: "VSC4051",
    src: ctx(
      "net { link eth0 { traffic a { match tcp port 20-30 }  traffic b { match tcp port 22 } } }",
    ),
    at: "match »tcp port 22",
    severity: "warning",
  },
  { code: "VSC4052", src: ctx("net { link eth0 { ingress { limit 1mbit } } }"), at: "ingress" },
  {
    // 656 contexts x (100 traffic classes + a rest class) + 656 = 66,912 HTB ids > 65,533.
    code: "VSC4056",
    src:
      `${HOST}template t { net { link eth0 { ${Array.from({ length: 100 }, (_, i) => `traffic t${i} { match tcp port ${1000 + i} }`).join("  ")} } } }\n` +
      Array.from({ length: 656 }, (_, i) => `context c${i} { id ${i + 1}  use t }\n`).join(""),
    at: "traffic »t35 {",
  },
  {
    code: "VSC4053",
    src:
      `${HOST}context a { id 1  net { address 10.0.0.1  link eth0 { ingress { reserve 600mbit } } } }\n` +
      `context b { id 2  net { address 10.0.0.2  link eth0 { ingress { reserve 600mbit } } } }\n`,
    at: "10.0.0.2  link eth0 { ingress { »reserve",
  },
  {
    code: "VSC4054",
    src: `${HOST}class k { net { link eth0 { traffic a { match tcp } } } }\n`,
    at: "traffic »a",
  },
  { code: "VSC2010", src: `${HOST}class a { }\ncontext a { id 1 }\n`, at: "context »a" },
  {
    code: "VSC2090",
    src: `${HOST}host h2 { cpus 1  memory 1GiB }\ngroup g = h, h2\ncontext a on gg { id 1 }\n`,
    at: "on »gg",
  },
  { code: "VSC2091", src: `${HOST}group h = h\n`, at: "group »h" },
  { code: "VSC2092", src: `${HOST}group g = h, h9\n`, at: "h, »h9" },
  {
    code: "VSC2094",
    src: `${HOST}template big { cpus 8 }\ncontext a { use big  id 1 }\n`,
    at: "use »big",
  },
  {
    code: "VSC4070",
    src: `${HOST}host h2 { cpus 1  memory 1GiB }\nclass k on h { }\ncontext a in k on h2 { id 1 }\n`,
    at: "on »h2",
  },

  { code: "VSC2011", src: `define x = 1\ndefine x = 2\n${HOST}`, at: "define »x = 2" },
  { code: "VSC2012", src: `context a { id 1 }\n`, at: null },
  { code: "VSC2013", src: `${HOST}host h { cpus 1  memory 1GiB }\n`, at: "host »h { cpus 1" },
  { code: "VSC2014", src: `${HOST}template small { }\n` + ctx("use smal"), at: "use »smal" },
  { code: "VSC2015", src: `${HOST}context a in tier { id 1 }\n`, at: "tier" },
  { code: "VSC2016", src: `${HOST}context b { id 2 }\ncontext a in b { id 1 }\n`, at: "in »b" },
  { code: "VSC2016", src: `${HOST}class k { }\n` + ctx("use k"), at: "use »k" },
  { code: "VSC2017", src: `${HOST}class a in a { }\n`, at: "in »a" },
  { code: "VSC2017", src: `${HOST}class a in b { }\nclass b in a { }\n`, at: "a in »b" },
  {
    code: "VSC2018",
    src: `${HOST}template t { use u }\ntemplate u { use t }\n` + ctx("use t"),
    at: "u { use »t",
  },
  { code: "VSC2019", src: ctx("net { address $nope }"), at: "$nope" },
  { code: "VSC2020", src: `define p = 5432\n` + ctx("net { address $p }"), at: "address »$p" },
  {
    code: "VSC2021",
    src: `define a = $b\ndefine b = $a\n` + ctx("net { address $a }", "c"),
    at: "define »a",
  },
  { code: "VSC2040", src: ctx("pids { limit 4194305 }"), at: "limit »4194305" },
  { code: "VSC2041", src: ctx("cpu { limit 175921860445m }"), at: "limit »175921860445m" },
  {
    code: "VSC2042",
    src: ctx("cpu { limit 175921860444m  burst 17592186044400us }"),
    at: "burst »17592186044400us",
  },
  { code: "VSC2043", src: ctx("io { device vda { read 1B/s } }"), at: "read »1B/s" },
  { code: "VSC2043", src: ctx("io { device vda { wiops 4294967295 } }"), at: "wiops »4294967295" },
  { code: "VSC2044", src: ctx("net { link eth0 { reserve 7bit } }"), at: "reserve »7bit" },
  {
    code: "VSC2044",
    src: `host h { cpus 1  memory 1GiB  link eth0 rate 7bit }\n`,
    at: "rate »7bit",
  },
  { code: "VSC2022", src: ctx("memory { limmit 1GiB }"), at: "limmit" },
  { code: "VSC2022", src: ctx("rlimit { nofiles 10 }"), at: "nofiles" },
  { code: "VSC2023", src: ctx("cpux { share 1 }"), at: "cpux" },
  { code: "VSC2024", src: ctx("cpu { share 1  share 2 }"), at: "share", nth: 1 },
  { code: "VSC2025", src: ctx("memory { anon 1GiB }"), at: "anon" },
  { code: "VSC2026", src: ctx("io { device vdb { read 1MB/s } }"), at: "vdb" },
  { code: "VSC2027", src: ctx("net { link eth1 { limit 1mbit } }"), at: "eth1" },
  { code: "VSC2028", src: ctx("security { capabilities keep chwon }"), at: "chwon" },
  { code: "VSC2029", src: ctx("security { namespaces pid, utx }"), at: "utx" },
  { code: "VSC2030", src: ctx("net { default dney }"), at: "dney" },
  { code: "VSC2031", src: `${HOST}class c { rlimit { nofile 10 } }\n`, at: "rlimit" },
  { code: "VSC2032", src: `host h { cpus 2 }\n`, at: "host »h" },
  { code: "VSC2033", src: `${HOST}context a { }\n`, at: "context »a" },
  {
    code: "VSC2034",
    src:
      `${HOST}class k1 {}\n` +
      Array.from({ length: 32 }, (_, i) => `class k${i + 2} in k${i + 1} {}\n`).join(""),
    at: "class »k33",
  },
  {
    code: "VSC2035",
    src:
      "define d0 = 5\n" +
      Array.from({ length: 65 }, (_, i) => `define d${i + 1} = $d${i}\n`).join("") +
      ctx("pids { limit $d65 }"),
    at: "define d2 = »$d1",
  },
  { code: "VSC3001", src: ctx("memory { limit 2GIB }"), at: "2GIB" },
  { code: "VSC3002", src: ctx("memory { limit 512M }"), at: "512M" },
  { code: "VSC3003", src: ctx("net { link eth0 { limit 512MiB } }"), at: "512MiB" },
  { code: "VSC3004", src: ctx("cpu { limit 2 }"), at: "limit »2" },
  { code: "VSC3005", src: ctx("memory { limit 1.5B }"), at: "1.5B" },
  { code: "VSC3006", src: ctx("cpu { share 0 }"), at: "share »0" },
  { code: "VSC3007", src: ctx('cpu { share "2" }'), at: '"2"' },
  { code: "VSC3008", src: ctx("cpu { burst 20ms }"), at: "burst" },
  { code: "VSC3009", src: ctx("cpu { limit 100m  burst 20ms }"), at: "20ms" },
  { code: "VSC3010", src: ctx("net { address 010.0.0.1 }"), at: "010.0.0.1" },
  {
    code: "VSC3011",
    src: ctx("net { address 10.0.0.11/24 }"),
    at: "10.0.0.11/24",
    severity: "warning",
  },
  { code: "VSC3012", src: ctx("net { allow in any port 80 }"), at: "80" },
  {
    code: "VSC2060",
    src:
      `${HOST}context app { id 2  net { address 10.0.0.2 } }\n` +
      ctx("net { allow in from context ap }"),
    at: "context »ap }",
  },
  {
    code: "VSC2061",
    src:
      `${HOST}class k { }\ncontext b in k { id 2  net { address 10.0.0.2 } }\n` +
      ctx("net { allow in from context k }"),
    at: "from »context k",
  },
  {
    code: "VSC4040",
    src: `${HOST}context app { id 2 }\n` + ctx("net { allow in from context app }"),
    at: "from »context app",
  },
  {
    code: "VSC4040",
    src: `${HOST}class k { }\ncontext b in k { id 2 }\n` + ctx("net { allow out to class k }"),
    at: "to »class k",
  },
  {
    code: "VSC4041",
    src: ctx("net { address 10.0.0.1  allow in from context a }"),
    at: "from »context a",
  },
  {
    code: "VSC4042",
    src: ctx("net { allow in from 172.17.0.0/16 except 10.0.0.0/8 }"),
    at: "except »10.0.0.0/8",
  },
  {
    code: "VSC4042",
    src: ctx("net { allow in from 172.17.0.0/16 except 172.17.0.0/16 }"),
    at: "except »172.17.0.0/16",
  },
  {
    code: "VSC4042",
    src:
      `${HOST}context app { id 2  net { address 10.0.0.2 } }\n` +
      ctx("net { allow in from context app except 10.0.1.0/24 }"),
    at: "except »10.0.1.0/24",
  },
  {
    code: "VSC4043",
    src:
      `${HOST}class k { }\ncontext b in k { id 2  net { address 10.0.0.2 } }\ncontext c in k { id 3 }\n` +
      ctx("net { allow out to class k }"),
    at: "to »class k",
    severity: "warning",
  },
  { code: "VSC3013", src: ctx('security { root "srv/a"  namespaces mount }'), at: '"srv/a"' },
  { code: "VSC4001", src: ctx("memory { reserve 2GiB  limit 1GiB }"), at: "reserve" },
  {
    code: "VSC4002",
    src: `${HOST}class c { memory { limit 1GiB } }\ncontext a in c { id 1  memory { limit 2GiB } }\n`,
    at: "limit 2GiB",
    severity: "warning",
  },
  { code: "VSC4003", src: ctx("cpu { reserve 5cpus }"), at: "reserve" },
  { code: "VSC4004", src: ctx("cpu { cores 4 }"), at: "cores" },
  {
    code: "VSC4005",
    src:
      HOST.replace("}\n", "  overbook memory 1.5\n}\n") +
      `context a { id 1  memory { limit 7GiB } }\ncontext b { id 2  memory { limit 7GiB } }\n`,
    at: "limit 7GiB",
    nth: 1,
  },
  {
    code: "VSC4006",
    src: `${HOST}context a { id 1  memory { limit 5GiB } }\ncontext b { id 2  memory { limit 5GiB } }\n`,
    at: "limit 5GiB",
    nth: 1,
    severity: "warning",
  },
  { code: "VSC4007", src: `${HOST}context a { id 1 }\ncontext b { id 1 }\n`, at: "id »1", nth: 1 },
  {
    code: "VSC4008",
    src: `${HOST}context a { id 1  net { address 10.0.0.1 } }\ncontext b { id 2  net { address 10.0.0.0/24 } }\n`,
    at: "10.0.0.0/24",
  },
  {
    code: "VSC4009",
    src: `${HOST}context a { id 1  net { allow in tcp port 80 } }\ncontext b { id 2  net { allow in tcp port 80 } }\n`,
    at: "80",
    nth: 1,
  },
  {
    code: "VSC4010",
    src: `${HOST}context a { id 1  cpu { cores "1" } }\ncontext b { id 2  cpu { cores "1" } }\n`,
    at: '"1"',
    nth: 1,
  },
  { code: "VSC4011", src: ctx('cpu { cores "7" }'), at: '"7"' },
  { code: "VSC4012", src: ctx("cpu { cores 1  reserve 10% }"), at: "reserve" },
  { code: "VSC4013", src: HOST.replace("}\n", "  keep cpu 4cpus\n}\n"), at: "keep" },
  { code: "VSC4014", src: ctx('security { hostname "x" }'), at: "hostname" },
  {
    // The class's whole guarantee is reserved, yet `c` (no reservation) still needs weight >= 1.
    code: "VSC4015",
    src:
      `${HOST}class k { cpu { reserve 100% } }\n` +
      `context a in k { id 1  cpu { reserve 50% } }\n` +
      `context b in k { id 2  cpu { reserve 50% } }\n` +
      `context c in k { id 3 }\n`,
    at: "a in k { id 1  cpu { reserve »50%",
  },
  {
    code: "VSC4020",
    src: ctx("net { link eth0 { limit 2gbit } }"),
    at: "limit »2gbit",
    severity: "warning",
  },
  // #16: security depth and shared cpus.
  { code: "VSC2050", src: ctx('security { user "www data;" }'), at: '"www data;"' },
  { code: "VSC2050", src: ctx("security { group 4294967295 }"), at: "4294967295" },
  { code: "VSC2051", src: ctx('security { syscalls deny "@mout" }'), at: '"@mout"' },
  {
    code: "VSC3020",
    src: ctx('security { filesystem read-only  writable "var/lib" }'),
    at: '"var/lib"',
  },
  { code: "VSC4030", src: ctx("security { capabilities none chown }"), at: "none »chown" },
  { code: "VSC4031", src: ctx('security { writable "/var/lib/app" }'), at: "writable" },
  { code: "VSC4032", src: ctx('cpu { cores "1"  cpus "1-2" }'), at: 'cpus "1-2"' },
  { code: "VSC4033", src: ctx('cpu { cpus "2-5" }'), at: '"2-5"' },
  {
    code: "VSC4034",
    src: `${HOST}context a { id 1  cpu { cores "2" } }\ncontext b { id 2  cpu { cpus "1-2" } }\n`,
    at: '"1-2"',
  },
  { code: "VSC4035", src: ctx('security { syscalls deny "@mount", "@reboot" }'), at: "syscalls" },
  {
    code: "VSC4036",
    src: ctx("net { address 10.0.0.1 }  security { namespaces net, pid }"),
    at: "namespaces",
    severity: "warning",
  },
  { code: "VSC4037", src: ctx("rlimit { nproc 100 }"), at: "nproc", severity: "warning" },
  { code: "VSC3006", src: ctx("memory { limit 150% }"), at: "150%" },
  { code: "VSC3007", src: ctx("security { capabilities keep }"), at: "capabilities" },
  // cpu.max cannot express less than 1ms per 100ms period.
  { code: "VSC3006", src: ctx("cpu { limit 5m }"), at: "limit »5m" },
];

for (const c of cases) {
  const where = c.at === null ? "no span" : c.at;
  test(`${c.code} at ${where}`, () => {
    const r = checkText(c.src);
    let expected = `${c.code}@<no span>`;
    if (c.at !== null) {
      const mark = c.at.indexOf("»");
      const needle = c.at.replace("»", "");
      const [line, col] = pos(c.src, needle, c.nth).split(":").map(Number);
      expected = `${c.code}@${line}:${col! + Math.max(0, mark)}`;
    }
    assert.ok(
      summary(r.diagnostics).includes(expected),
      `expected ${expected}, got ${JSON.stringify(summary(r.diagnostics))}\n${JSON.stringify(r.diagnostics, null, 1)}`,
    );
    const d = r.diagnostics.find((d) => d.code === c.code)!;
    assert.is(d.severity, c.severity ?? "error");
    assert.is(
      r.ir === undefined,
      r.diagnostics.some((d) => d.severity === "error"),
    );
  });
}

test("every checker code has a catalog entry and a case here, and vice versa", () => {
  const catalog = {
    ...namesCodes,
    ...unitsCodes,
    ...policyCodes,
    ...securityCheckCodes,
    ...trafficCodes,
  };
  const defined = Object.values(Code).sort();
  // Retired codes stay in the catalog (vsc explain) and are no longer reported.
  const live = Object.entries(catalog).filter(([, info]) => !info.retired);
  assert.equal(defined, live.map(([code]) => code).sort());
  for (const [code, info] of Object.entries(catalog))
    if (info.retired) assert.not.ok((defined as string[]).includes(code), `${code} is retired`);
  const tested = new Set(cases.map((c) => c.code));
  assert.equal(
    defined.filter((c) => !tested.has(c)),
    [],
  );
  for (const [code, info] of Object.entries(catalog)) {
    assert.ok(info.title.length > 0 && info.explain.length > 40, code);
  }
});

test.run();
