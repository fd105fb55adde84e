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

test("whole cores named twice through one template: the conflict, not a doubled total, on any host", () => {
  const body = `template pinned {
  cpu { cores "0,2" }
}
context a {
  id 1
  use pinned
}
context b {
  id 2
  use pinned
}
`;
  for (const cpus of [4, 8]) {
    const src = HOST.replace("cpus 4", `cpus ${cpus}`).replace("}\n", "  keep cpu 10%\n}\n") + body;
    const r = checkText(src);
    assert.equal(summary(r.diagnostics), [`VSC4010@${pos(src, "b {\n  id 2")}`], `cpus ${cpus}`);
    const d = r.diagnostics[0]!;
    assert.is(d.message, '"b" and "a" both take cpus 0, 2 as whole cores from template "pinned"');
    assert.equal(
      d.related!.map((x) => [x.label, `${x.span.line}:${x.span.col}`]),
      [
        ["a takes them first", pos(src, "a {\n  id 1")],
        ["every user of template pinned gets these cpus", pos(src, 'cores "0,2"')],
      ],
    );
  }
});

test("whole cores: a cpu named by two contexts counts once; each conflict names all its cpus", () => {
  const src = `${HOST}context a { id 1  cpu { cores "1-2" } }
context b { id 2  cpu { cores "1,2" } }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4010@${pos(src, '"1,2"')}`]);
  assert.is(r.diagnostics[0]!.message, 'cpus 1, 2 of "b" are already taken by "a"');
  // Distinct cpus 0-2 and a count of 1 take all 4: that is VSC4004, counted without the overlap.
  const full = checkText(`${HOST}context a { id 1  cpu { cores "0-2" } }
context b { id 2  cpu { cores "2" } }
context c { id 3  cpu { cores 1 } }
`);
  assert.equal(
    full.diagnostics.map((d) => d.code),
    ["VSC4010", "VSC4004"],
  );
  assert.match(full.diagnostics[1]!.message, /take 4 of the host's 4 cpus/);
});

test("whole cores from a template with a count: VSC4004 points at each user, not twice at the template", () => {
  const src = `${HOST}template two { cpu { cores 2 } }
context a { id 1  use two }
context b { id 2  use two }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [`VSC4004@${pos(src, "b { id 2")}`]);
  const d = r.diagnostics[0]!;
  assert.is(d.label, 'b takes 2 (from template "two")');
  assert.equal(
    d.related!.map((x) => `${x.span.line}:${x.span.col} ${x.label}`),
    [`${pos(src, "a { id 1")} a takes 2 (from template "two")`],
  );
});

test("a link limit above the link's rate is a warning at the limit (VSC4020), once per template", () => {
  const src = `${HOST}template fast { net { link eth0 { limit 2gbit } } }
class k { net { link eth0 { limit 1500mbit } } }
context a in k { id 1  use fast }
context b { id 2  use fast }
context c { id 3  net { link eth0 { limit 1gbit } } }
`;
  const r = checkText(src);
  // a is also above its class's limit (VSC4002, at the statement).
  assert.equal(summary(r.diagnostics), [
    `VSC4002@${pos(src, "limit 2gbit")}`,
    `VSC4020@${pos(src, "2gbit")}`,
    `VSC4020@${pos(src, "1500mbit")}`,
  ]);
  const d = r.diagnostics[1]!;
  assert.is(d.severity, "warning");
  assert.is(d.message, "link eth0 limit 2gbit is above the link's rate of 1gbit");
  assert.is(d.label, "enforced as 1gbit");
  assert.equal(
    d.related!.map((x) => `${x.span.line}:${x.span.col}`),
    [pos(src, "link eth0 rate")],
  );
  assert.ok(r.ir, "a warning keeps the IR");
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
