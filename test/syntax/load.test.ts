/** loadProgram: include order, cycles, missing files, dedup, Span.file, VSC2001-VSC2004. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { syntaxCodes } from "../../src/diag/codes/syntax.js";
import { loadProgram, memoryHost } from "../../src/syntax/load.js";
import type { Item } from "../../src/syntax/ast.js";

const label = (i: Item): string =>
  i.kind === "Decl"
    ? `${i.name.name}@${i.span.file}`
    : i.kind === "Include"
      ? `include ${i.path.value}@${i.span.file}`
      : "define";
const where = (
  ds: { code: string; span?: { file: string; line: number; col: number } }[],
): string[] => ds.map((d) => `${d.span?.file}:${d.span?.line}:${d.span?.col} ${d.code}`);

test("globs are relative to the including file, sorted, and expanded in place", () => {
  const host = memoryHost({
    "etc/main.vsc": 'include "ctx/*.vsc"\ncontext z { id 9 }\n',
    "etc/ctx/b.vsc": "context b { id 2 }\n",
    "etc/ctx/a.vsc": 'context a { id 1 }\ninclude "../lib/*.vsc"\n',
    "etc/ctx/c.txt": "not vsc",
    "etc/lib/t.vsc": "template t { }\n",
  });
  const r = loadProgram("etc/main.vsc", host);
  assert.equal(r.diagnostics, []);
  assert.equal(r.program.entry, "main.vsc");
  assert.equal(
    r.program.files.map((f) => f.file),
    ["main.vsc", "ctx/a.vsc", "lib/t.vsc", "ctx/b.vsc"],
  );
  assert.equal(r.program.items.map(label), [
    "include ctx/*.vsc@main.vsc",
    "a@ctx/a.vsc",
    "include ../lib/*.vsc@ctx/a.vsc",
    "t@lib/t.vsc",
    "b@ctx/b.vsc",
    "z@main.vsc",
  ]);
});

test("a glob matching nothing is fine; a plain path matching nothing is VSC2001", () => {
  const host = memoryHost({ "main.vsc": 'include "none/*.vsc"\ninclude "gone.vsc"\n' });
  const r = loadProgram("main.vsc", host);
  assert.equal(where(r.diagnostics), ["main.vsc:2:9 VSC2001"]);
});

test("a cycle is VSC2002 at the include that closes it", () => {
  const host = memoryHost({
    "main.vsc": 'include "a.vsc"\n',
    "a.vsc": 'include "b.vsc"\n',
    "b.vsc": '\ninclude "main.vsc"\n',
  });
  const r = loadProgram("main.vsc", host);
  assert.equal(where(r.diagnostics), ["b.vsc:2:1 VSC2002"]);
  assert.equal(r.diagnostics[0]!.message, "include cycle: main.vsc -> a.vsc -> b.vsc -> main.vsc");
});

test("a glob that matches its own file is a cycle too", () => {
  const host = memoryHost({ "main.vsc": 'include "*.vsc"\n', "x.vsc": "context x { id 1 }\n" });
  const r = loadProgram("main.vsc", host);
  assert.equal(where(r.diagnostics), ["main.vsc:1:1 VSC2002"]);
  assert.equal(
    r.program.files.map((f) => f.file),
    ["main.vsc", "x.vsc"],
  );
});

test("a file reached twice by different paths is loaded once", () => {
  const host = memoryHost({
    "main.vsc": 'include "lib/t.vsc"\ninclude "ctx/../lib/t.vsc"\ninclude "lib/*.vsc"\n',
    "lib/t.vsc": "template t { }\n",
  });
  const r = loadProgram("main.vsc", host);
  assert.equal(r.diagnostics, []);
  assert.equal(r.program.files.length, 2);
  assert.equal(r.program.items.filter((i) => i.kind === "Decl").length, 1);
});

test("an unreadable entry or matched file is VSC2003; an empty path is VSC2004", () => {
  const r = loadProgram("nope.vsc", memoryHost({}));
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC2003"],
  );
  assert.equal(r.diagnostics[0]!.span, undefined);
  const lying = {
    readFile: (p: string) => (p === "main.vsc" ? 'include "*.vsc"\n' : undefined),
    glob: () => ["ghost.vsc"],
  };
  assert.equal(where(loadProgram("main.vsc", lying).diagnostics), ["main.vsc:1:9 VSC2003"]);
  assert.equal(where(loadProgram("m.vsc", memoryHost({ "m.vsc": 'include " "\n' })).diagnostics), [
    "m.vsc:1:9 VSC2004",
  ]);
});

test("syntax errors of included files carry the included file's path", () => {
  const host = memoryHost({
    "main.vsc": 'include "c/*.vsc"\n',
    "c/bad.vsc": "\ncontext Bad { id 1 }\n",
  });
  assert.equal(where(loadProgram("main.vsc", host).diagnostics), ["c/bad.vsc:2:9 VSC1002"]);
});

test("hostile include strings are only data", () => {
  const seen: string[] = [];
  const host = {
    readFile: (p: string) =>
      p === "main.vsc" ? 'include "$(rm -rf /)*;`x`"\ninclude "a\\"b.vsc"\n' : undefined,
    glob: (pattern: string) => (seen.push(pattern), []),
  };
  const r = loadProgram("main.vsc", host);
  assert.equal(seen, ["$(rm -rf /)*;`x`"]);
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["VSC2001"],
  );
  assert.equal(r.diagnostics[0]!.message, 'include `a"b.vsc` matches no file');
});

test("limits: includes deeper than 64 (VSC1022), input over 16 MiB (VSC1021), at the include", () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) files[`c${i}.vsc`] = `\ninclude "c${i + 1}.vsc"\n`;
  files["c3000.vsc"] = "context a { id 1 }\n";
  const deep = loadProgram("c0.vsc", memoryHost(files));
  assert.equal(where(deep.diagnostics), ["c63.vsc:2:1 VSC1022"]);
  assert.is(deep.program.files.length, 64);
  const big = "#".repeat(9 * 1024 * 1024) + "\n";
  const host = memoryHost({
    "m.vsc": 'include "a.vsc"\ninclude "b.vsc"\n',
    "a.vsc": big,
    "b.vsc": big,
  });
  assert.equal(where(loadProgram("m.vsc", host).diagnostics), ["m.vsc:2:9 VSC1021"]);
});

test("includes: only *.vsc (VSC1023), never outside the entry's directory (VSC1024), at the include", () => {
  const host = memoryHost({
    "etc/main.vsc":
      'include "../secret.vsc"\ninclude "notes.txt"\ninclude "d/*"\ninclude "../**/*.vsc"\n',
    "secret.vsc": "context s { id 1 }\n",
    "etc/notes.txt": "x",
    "etc/d/a.vsc": 'include "../../secret.vsc"\n',
    "etc/d/b.md": "x",
  });
  const r = loadProgram("etc/main.vsc", host);
  assert.equal(where(r.diagnostics), [
    "main.vsc:1:9 VSC1024",
    "main.vsc:2:9 VSC1023",
    "d/a.vsc:1:9 VSC1024",
    "main.vsc:3:9 VSC1023",
    "main.vsc:4:9 VSC1024",
  ]);
  assert.equal(
    r.program.files.map((f) => f.file),
    ["main.vsc", "d/a.vsc"],
  );
});

test("every include code (VSC2001-VSC2004) is in the catalog", () => {
  for (const c of ["VSC2001", "VSC2002", "VSC2003", "VSC2004"]) assert.ok(syntaxCodes[c]);
});

test.run();
