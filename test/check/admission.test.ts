/** Admission per level and per resource; overbooking; whole cores. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HOST, checkText, pos, summary } from "./helpers.js";

const H2 = `host h {
  cpus 2
  memory 4GiB
  keep memory 1GiB
  link eth0 rate 100mbit
}
`;

test("a class's own reserve bounds its children's reservations", () => {
  const src = `${HOST}class c { cpu { reserve 1cpus } }
context a in c { id 1  cpu { reserve 600m } }
context b in c { id 2  cpu { reserve 500m } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4003@${pos(src, "reserve 500m")}`]);
  const d = r.diagnostics[0]!;
  assert.is(
    d.message,
    "cpu reservations in class c total 1.1 cpus, more than its reserve of 1 cpu",
  );
  assert.equal(
    d.related!.map((x) => x.label),
    ["a reserves 0.6 cpus", "c reserves 1 cpu"],
  );
});

test("a class without reserve passes its children's reservations up to the root", () => {
  const src = `${H2}class c { }
class d in c { }
context a in d { id 1  memory { reserve 2GiB } }
context b { id 2  memory { reserve 1.5GiB } }
`;
  const r = checkText(src);
  // keep 1GiB + a 2GiB (two levels down) + b 1.5GiB = 4.5GiB > 4GiB
  assert.equal(summary(r.diagnostics), [`VSC4003@${pos(src, "reserve 1.5GiB")}`]);
  const d = r.diagnostics[0]!;
  assert.is(
    d.message,
    "memory reservations under the root total 4.5GiB, more than the host's 4GiB",
  );
  assert.equal(
    d.related!.map((x) => `${x.span.line} ${x.label}`),
    ["4 keep 1GiB for the host", "9 a reserves 2GiB", "3 the host has 4GiB"],
  );
});

test("a class without reserve but with a limit bounds its children's reservations", () => {
  const src = `${H2}class c { net { link eth0 { limit 10mbit } } }
context a in c { id 1  net { link eth0 { reserve 6mbit } } }
context b in c { id 2  net { link eth0 { reserve 6mbit } } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4003@${pos(src, "reserve 6mbit", 1)}`]);
  assert.is(
    r.diagnostics[0]!.message,
    "link eth0 reservations in class c total 12mbit, more than its limit of 10mbit",
  );
});

test("each link is admitted against its rate", () => {
  const src = `${H2}context a { id 1  net { link eth0 { reserve 60mbit } } }
context b { id 2  net { link eth0 { reserve 50mbit } } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4003@${pos(src, "reserve 50mbit")}`]);
  assert.match(r.diagnostics[0]!.message, /110mbit, more than the link's 100mbit/);
});

test("exactly at capacity is admitted", () => {
  const src = `${H2}context a { id 1  cpu { reserve 100% } memory { reserve 3GiB } }\n`;
  assert.equal(summary(checkText(src).diagnostics), []);
});

test("whole cores: counted as 1000 millicpu each, one core left, assigned lowest free from cpu 1", () => {
  const src = `${HOST}context b { id 2  cpu { cores 2 } }
context a { id 1  cpu { cores "3" } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), []);
  const cores = Object.fromEntries(r.ir!.nodes.map((n) => [n.name, n.cpu.cores]));
  assert.equal(cores, { a: [3], b: [1, 2] });
  const over = checkText(
    `${HOST}context b { id 2  cpu { cores 2 } }\ncontext a { id 1  cpu { cores 2 } }\n`,
  );
  assert.equal(summary(over.diagnostics), ["VSC4004@8:25"]);
});

test("overbooking: warning with the factor, error above the host's factor", () => {
  const limits = `context a { id 1  memory { limit 5GiB } }\ncontext b { id 2  memory { limit 4GiB } }\n`;
  const warnSrc = HOST.replace("}\n", "  keep memory 512MiB\n}\n") + limits;
  const warn = checkText(warnSrc);
  assert.equal(summary(warn.diagnostics), [`VSC4006@${pos(warnSrc, "limit 4GiB")}`]);
  assert.is(
    warn.diagnostics[0]!.message,
    "memory limits total 9GiB, 1.2x the host's 7.5GiB (8GiB minus keep 512MiB)",
  );
  assert.ok(warn.ir, "a warning still produces IR");
  const errSrc = HOST.replace("}\n", "  overbook memory 1.1\n}\n") + limits;
  const err = checkText(errSrc);
  assert.equal(summary(err.diagnostics), [`VSC4005@${pos(errSrc, "limit 4GiB")}`]);
});

test("a class's limit caps what its subtree counts toward overbooking", () => {
  const src = `${HOST}class c { memory { limit 2GiB } }
context a in c { id 1  memory { limit 6GiB } }
context b in c { id 2  memory { limit 6GiB } }
`;
  // 6 + 6 > 2: the class counts 2GiB, so no overbooking; but each child warns about its class.
  assert.equal(summary(checkText(src).diagnostics), [
    `VSC4002@${pos(src, "limit 6GiB")}`,
    `VSC4002@${pos(src, "limit 6GiB", 1)}`,
  ]);
});

test("admission is skipped when the tree is broken (no cascade)", () => {
  const src = `${H2}context a in nowhere { id 1  cpu { reserve 100% } }\ncontext b { id 2  cpu { reserve 100% } }\n`;
  assert.equal(summary(checkText(src).diagnostics), ["VSC2015@7:14"]);
});

test.run();
