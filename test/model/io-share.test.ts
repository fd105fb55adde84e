/**
 * `share` means the same in every block (language-v2.md): `io { share N }`
 * becomes io.weight exactly as `cpu { share N }` becomes cpu.weight when
 * nothing is reserved. v1 wrote the io share itself (io.weight 1 next to a
 * cpu.weight of 100 for the same `share 1`).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { check } from "../../src/check/index.js";
import { desiredState } from "../../src/model/state.js";
import { loadProgram, memoryHost } from "../../src/syntax/load.js";

/** cpu.weight and io.weight (the number) of every context, by name. */
function weights(contexts: string): Record<string, [string, string]> {
  const text = `host h {\n  cpus 2\n  memory 4GiB\n  disk vda 254:0\n}\n${contexts}`;
  const { program, diagnostics } = loadProgram("main.vsc", memoryHost({ "main.vsc": text }));
  assert.equal(diagnostics, []);
  const { ir, diagnostics: ds } = check(program);
  assert.ok(ir, JSON.stringify(ds));
  const out: Record<string, [string, string]> = {};
  for (const c of desiredState(ir!).cgroups) {
    if (c.kind === "root") continue;
    const v = (f: string) => c.files.find((x) => x.name === f)!.value;
    out[c.name] = [v("cpu.weight"), v("io.weight").replace(/^default /, "")];
  }
  return out;
}

test("share 1 is weight 100 in cpu and in io", () => {
  assert.equal(weights("context a { id 1  cpu { share 1 }  io { share 1 } }\n"), {
    a: ["100", "100"],
  });
});

test("io shares split like cpu shares: 1 : 3 : absent is 100 : 300 : 100 in both", () => {
  const w = weights(
    "context a { id 1  cpu { share 1 }  io { share 1 } }\n" +
      "context b { id 2  cpu { share 3 }  io { share 3 } }\n" +
      "context c { id 3 }\n",
  );
  assert.equal(w, { a: ["100", "100"], b: ["300", "300"], c: ["100", "100"] });
});

test("io shares are relative to the siblings, level by level, as cpu shares are", () => {
  const w = weights(
    "class t { cpu { share 2 }  io { share 2 } }\n" +
      "context u { id 4 }\n" +
      "context a in t { id 1  cpu { share 5 }  io { share 5 } }\n" +
      "context b in t { id 2  cpu { share 10 }  io { share 10 } }\n",
  );
  assert.equal(w, {
    t: ["200", "200"],
    a: ["100", "100"],
    b: ["200", "200"],
    u: ["100", "100"],
  });
});

test("shares far apart: the smallest io.weight gives way, none passes 10000 (as cpu)", () => {
  const w = weights(
    "context a { id 1  cpu { share 1 }  io { share 1 } }\n" +
      "context b { id 2  cpu { share 10000 }  io { share 10000 } }\n",
  );
  assert.equal(w.a, [w.a![0], w.a![0]]);
  assert.equal(w.b, ["10000", "10000"]);
});

test.run();
