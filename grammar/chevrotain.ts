/**
 * Chevrotain, loaded from its single-file bundle.
 *
 * The package's `exports` point at lib/src/api.js, which pulls in lodash-es
 * as hundreds of small modules: ~200 ms of start-up per `vsc` process. The
 * same package ships lib/chevrotain.min.mjs (the identical version, bundled),
 * which loads in ~12 ms. `exports` hides that path from bare specifiers, so
 * it is located next to the resolved entry; if it is ever missing we fall
 * back to the normal import. Every value import of Chevrotain in vsc must go
 * through this module so that there is a single Chevrotain instance (token
 * type identities such as EOF must match). Type-only imports may use
 * "chevrotain" directly.
 */
import type * as C from "chevrotain";

async function load(): Promise<typeof C> {
  try {
    const entry = import.meta.resolve("chevrotain");
    return (await import(new URL("../chevrotain.min.mjs", entry).href)) as typeof C;
  } catch {
    return await import("chevrotain");
  }
}

const chevrotain = await load();

export const EmbeddedActionsParser = chevrotain.EmbeddedActionsParser;
export type EmbeddedActionsParser = C.EmbeddedActionsParser;
export const Lexer = chevrotain.Lexer;
export type Lexer = C.Lexer;
export const EOF = chevrotain.EOF;
export const createToken = chevrotain.createToken;
