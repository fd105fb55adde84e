/** formatSource: canonical layout, comments kept, idempotence, refusal on syntax errors. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatSource } from "../../src/fmt/format.js";
import { parseSource } from "../../src/syntax/parse.js";
import { packageRoot } from "../../src/paths.js";

const fmt = (s: string): string => {
  const r = formatSource(s, "t.vsc");
  if (r.text === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return r.text;
};

function vscFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...vscFiles(p));
    else if (e.endsWith(".vsc")) out.push(p);
  }
  return out;
}

/** Everything but layout: items (without spans) and comment texts in order. */
function meaning(s: string): string {
  const r = parseSource(s, "t.vsc");
  return JSON.stringify([r.file.items, r.file.comments.map((c) => c.text)], (k, v) =>
    k === "span" || k === "bodySpan" ? undefined : v,
  );
}

const examples = vscFiles(join(packageRoot(), "examples"));

test("there are examples to format", () => {
  assert.ok(examples.some((f) => f.endsWith("language.vsc")));
});

for (const f of examples) {
  const name = relative(packageRoot(), f);
  test(`${name}: idempotent and meaning-preserving`, () => {
    const src = readFileSync(f, "utf8");
    const once = fmt(src);
    assert.is(fmt(once), once);
    assert.is(meaning(once), meaning(src));
  });
}

test("canonical layout of a mixed-up file", () => {
  const src = [
    "",
    "",
    "# header",
    "define a = 1",
    "",
    "",
    "",
    "define b = 2 # two",
    "host h { cpus 2  memory 8GiB",
    "link eth0   rate 1gbit }",
    "context c in k {   # opener",
    "  id 1 cpu{share 2 reserve 10%}   memory   {limit 1GiB}",
    "",
    "",
    "  net { link eth0 { limit 1mbit } allow in tcp port 80,443 }",
    '  security { hostname "a\\"b" } // trailing',
    "  # dangling",
    "}",
    "context d { }",
    "// end",
  ].join("\n");
  const want = [
    "# header",
    "define a = 1",
    "",
    "define b = 2  # two",
    "",
    "host h {",
    "  cpus 2",
    "  memory 8GiB",
    "  link eth0 rate 1gbit",
    "}",
    "",
    "context c in k {  # opener",
    "  id 1",
    "  cpu { share 2  reserve 10% }",
    "  memory { limit 1GiB }",
    "",
    "  net { link eth0 { limit 1mbit }  allow in tcp port 80, 443 }",
    '  security { hostname "a\\"b" }  // trailing',
    "  # dangling",
    "}",
    "",
    "context d {}",
    "// end",
    "",
  ].join("\n");
  assert.is(fmt(src), want);
  assert.is(fmt(want), want);
});

test("trailing comments of consecutive statements are aligned", () => {
  const src = "context c {\n  id 1 # a\n  use small # b\n  cpu { share 1 }\n}\n";
  assert.is(fmt(src), "context c {\n  id 1       # a\n  use small  # b\n  cpu { share 1 }\n}\n");
});

test("comments inside a one-line block force it open; comments are never lost", () => {
  const src = "context c { cpu { share 1 # why\n } }";
  assert.is(fmt(src), "context c {\n  cpu {\n    share 1  # why\n  }\n}\n");
  const tricky =
    "context c {\n  net { address 10.0.0.1, # one\n    10.0.0.2 # two\n  }\n  weird 1 { x 2 # three\n  }\n}\n";
  const out = fmt(tricky);
  for (const c of ["# one", "# two", "# three"]) assert.ok(out.includes(c), c);
  assert.is(fmt(out), out);
});

test("a declaration written on one line stays on one line when it fits (the spec's idiom)", () => {
  const one =
    "context api in tenant { id 301  net { address 10.244.1.10  allow in tcp port 443 } }\n";
  assert.is(fmt(one), one);
  const long =
    "context api { id 301  net { address 10.244.1.10  allow in tcp port 443, 8443, 9443, 10443, 11443, 12443 } }\n";
  assert.is(fmt(long).split("\n")[0], "context api {");
  assert.is(fmt("context c { id 1\n}"), "context c {\n  id 1\n}\n");
});

test("a block that would pass the line width stays open", () => {
  const long = 'context c { security { hostname "' + "x".repeat(90) + '" } }';
  assert.is(fmt(long), `context c {\n  security {\n    hostname "${"x".repeat(90)}"\n  }\n}\n`);
});

test("spaced cpu quantities keep one space; strings are re-escaped", () => {
  assert.is(
    fmt('context c {\n cpu { limit 1.5\t  cpus } security { root "a\\\\b" } }'),
    'context c {\n  cpu { limit 1.5 cpus }\n  security { root "a\\\\b" }\n}\n',
  );
});

test("refuses to format a file with syntax errors", () => {
  const r = formatSource("context Web { id 1 }", "t.vsc");
  assert.is(r.text, undefined);
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC1002"],
  );
});

test("empty and comment-only files", () => {
  assert.is(fmt(""), "");
  assert.is(fmt("\n\n  # x  \n\n"), "# x\n");
});

test("blocks of several statements stay on one line only where the writer put them there", () => {
  const src = [
    "host h {",
    "  cpus 2",
    "}",
    "",
    "context a {",
    "  id 1",
    "  cpu { share 4  reserve 25% }",
    "  memory {",
    "    reserve 1GiB",
    "    limit 2GiB",
    "  }",
    "  net { link eth0 { reserve 2gbit  limit 8gbit } }",
    "  pids {",
    "    limit 100",
    "  }",
    `  io { share 1  device vda { read 1MB/s  write 1MB/s  riops 100  wiops 100 } }`,
    "}",
    "",
  ].join("\n");
  const out = fmt(src);
  // The spec's idiom is kept; an opened block stays opened; one statement is always joined.
  assert.match(out, /\n {2}cpu \{ share 4 {2}reserve 25% \}\n/);
  assert.match(out, /\n {2}memory \{\n {4}reserve 1GiB\n {4}limit 2GiB\n {2}\}\n/);
  assert.match(out, /\n {2}net \{ link eth0 \{ reserve 2gbit {2}limit 8gbit \} \}\n/);
  assert.match(out, /\n {2}pids \{ limit 100 \}\n/);
  assert.is(fmt(out), out);
  // Over 100 columns, a one-line block opens (and then stays open).
  const long = src.replace("riops 100  wiops 100", "riops 100  wiops 100  read 2MB/s  write 3MB/s");
  const opened = fmt(long);
  assert.ok(opened.split("\n").every((l) => l.length <= 100));
  assert.match(opened, /\n {2}io \{\n {4}share 1\n/);
  assert.is(fmt(opened), opened);
});

test.run();
