/**
 * A prettier 3 plugin for .vsc files, so editors and `npx prettier --write
 * '**\/*.vsc'` format them. It delegates to formatSource, so its output is
 * byte-identical to `vsc fmt`; prettier's width and indent options are
 * ignored on purpose (the vsc layout is fixed, like gofmt's).
 *
 * Use: build (`npm run build`), then the repository's .prettierrc loads
 * dist/src/fmt/prettier-plugin.js for *.vsc.
 */
import { doc, type AstPath, type Parser, type Printer, type SupportLanguage } from "prettier";
import { formatSource } from "./format.js";

interface VscRoot {
  type: "vsc-root";
  text: string;
  formatted: string;
}

/** Thrown to prettier on a syntax error; prettier shows `loc` as a code frame. */
class VscSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: { start: { line: number; column: number } } | undefined,
  ) {
    super(message);
    this.name = "VscSyntaxError";
  }
}

export const languages: SupportLanguage[] = [
  { name: "vsc", parsers: ["vsc"], extensions: [".vsc"], vscodeLanguageIds: ["vsc"] },
];

export const parsers: Record<string, Parser<VscRoot>> = {
  vsc: {
    astFormat: "vsc-root",
    parse(text, options) {
      const file = options.filepath
        ? options.filepath.replace(/\\/g, "/").split("/").pop()!
        : "input.vsc";
      const r = formatSource(text, file);
      if (r.text === undefined) {
        const errs = r.diagnostics.filter((d) => d.severity === "error");
        const first = errs[0];
        const lines = errs.map(
          (d) => `${d.span ? `${d.span.line}:${d.span.col} ` : ""}${d.code} ${d.message}`,
        );
        throw new VscSyntaxError(
          lines.join("\n"),
          first?.span ? { start: { line: first.span.line, column: first.span.col } } : undefined,
        );
      }
      return { type: "vsc-root", text, formatted: r.text };
    },
    locStart: () => 0,
    locEnd: (node) => node.text.length,
  },
};

export const printers: Record<string, Printer<VscRoot>> = {
  "vsc-root": {
    print(path: AstPath<VscRoot>) {
      // The text is already laid out; hand it to prettier line by line.
      return doc.builders.join(doc.builders.hardline, path.node.formatted.split("\n"));
    },
  },
};

export default { languages, parsers, printers };
