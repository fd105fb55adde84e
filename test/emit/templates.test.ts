/**
 * The ahead-of-time compiled templates (scripts/gen-templates.mjs) against
 * Handlebars itself: the same views must render to the same bytes with
 * Handlebars' runtime and the options the emitter always used.
 */
import Handlebars from "handlebars";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cgroupView, desiredState, tcView } from "../../src/emit/index.js";
import { nftView } from "../../src/emit/nft.js";
import { commentText, shQuote } from "../../src/emit/quote.js";
import { desiredLinks, shapedClassids } from "../../src/model/links.js";
import { templates, type TemplateName } from "../../src/emit/templates.js";
import type { VscIr } from "../../src/ir/types.gen.js";
import { packageRoot } from "../../src/paths.js";
import { bigIr, languageIr } from "./fixtures.js";
import { InternalError } from "../../src/diag/internal-error.js";

const hb = Handlebars.create();
hb.registerHelper("sh", (s: unknown) => shQuote(s as string));
hb.registerHelper("c", (s: unknown) => commentText(String(s)));
const reference = (name: TemplateName) =>
  hb.compile(readFileSync(join(packageRoot(), "templates", `${name}.hbs`), "utf8"), {
    strict: true,
    noEscape: true,
    data: false,
    knownHelpersOnly: true,
    knownHelpers: { sh: true, c: true },
  });

function views(ir: VscIr): Record<TemplateName, object> {
  const d = desiredState(ir);
  return {
    "cgroup.sh": cgroupView(ir, d, { cgroupMount: "/mnt/it's here" }),
    "ruleset.nft": { ...nftView(ir, shapedClassids(desiredLinks(ir))), digest: "abc" },
    "tc.batch": tcView(ir, d),
  };
}

for (const [label, ir] of [
  ["language", languageIr()],
  ["300 contexts", bigIr(300)],
] as const) {
  test(`${label}: every template renders what Handlebars renders`, () => {
    const vs = views(ir);
    for (const name of Object.keys(templates) as TemplateName[]) {
      const want = reference(name)(vs[name]);
      assert.ok(want.length > 500, name);
      assert.ok(templates[name](vs[name]) === want, `${name} differs from Handlebars' output`);
    }
  });
}

test("edge values: null, empty strings and arrays, no files (same as Handlebars)", () => {
  const view = {
    entry: "a\nb",
    host: "h",
    root: "vsc",
    defaultMount: "/sys/fs/cgroup",
    controllers: "",
    ancestors: [],
    cgroups: [
      { path: "vsc", note: "n", subtreeControl: "", writes: [] },
      {
        path: "vsc/a b",
        note: "",
        subtreeControl: "+cpu",
        writes: [{ file: "x", value: "", source: "s" }],
      },
      {
        path: "vsc/c",
        note: "n",
        subtreeControl: "",
        writes: [
          { file: "y", value: "0", source: null },
          { file: "y", value: "a'b", source: "" },
        ],
      },
    ],
  };
  assert.is(templates["cgroup.sh"](view), reference("cgroup.sh")(view));
});

test("strict: a missing view-model field throws", () => {
  const view = { entry: "e", host: "h", links: [{ dev: "eth0", classes: [] }] };
  assert.throws(
    () => templates["tc.batch"](view),
    (e: unknown) => e instanceof InternalError && /"source" is not defined/.test(e.message),
  );
  assert.throws(() => reference("tc.batch")(view), /"source" not defined/);
});

test("src/emit/templates.gen.ts is what scripts/gen-templates.mjs makes from templates/", async () => {
  const root = packageRoot();
  const gen = (await import(pathToFileURL(join(root, "scripts/gen-templates.mjs")).href)) as {
    generate(): Promise<string>;
  };
  const actual = readFileSync(join(root, "src/emit/templates.gen.ts"), "utf8");
  assert.ok(actual === (await gen.generate()), "templates.gen.ts is stale: run `npm run build`");
});

test.run();
