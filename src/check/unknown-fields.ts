/**
 * Keys that a block does not take: an error at the key with the closest
 * known key as a suggestion. A few keys people bring from elsewhere get a
 * specific explanation instead (the paper's ANON limit, RSS).
 */
import type { Ident } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { didYouMean } from "../diag/suggest.js";

const ANON = new Set(["anon", "anon-limit", "anon_limit", "anonymous"]);

/** Where a statement sits, for messages: a block name ("memory"), "net link", or "context web". */
export function reportUnknownField(
  key: Ident,
  where: string,
  candidates: readonly string[],
  report: Acceptor,
): void {
  if (where === "memory" && ANON.has(key.name)) {
    report(
      error(Code.anonLimit, key.span, `memory ${key.name} cannot be expressed on cgroup v2`, {
        label: "no anonymous-memory limit in cgroup v2",
        help: "cap all of the context's memory with memory { limit ... } and add swap 0 so anonymous pages cannot be pushed out to swap",
        notes: [
          "the paper's ANON limit counted only anonymous pages; cgroup v2 charges anonymous and page-cache memory together to memory.max",
        ],
      }),
    );
    return;
  }
  const help =
    where === "memory" && key.name === "rss"
      ? 'the paper\'s RSS limit is "limit" (memory.max)'
      : didYouMean(key.name, candidates);
  report(
    error(Code.unknownField, key.span, `unknown field "${key.name}" in ${where}`, {
      help: help ?? `${where} takes: ${candidates.join(", ")}`,
    }),
  );
}

export function reportUnknownBlock(
  key: Ident,
  where: string,
  candidates: readonly string[],
  report: Acceptor,
): void {
  const help = didYouMean(key.name, candidates);
  report(
    error(Code.unknownBlock, key.span, `unknown block "${key.name}" in ${where}`, {
      help: help ?? `${where} takes the blocks: ${candidates.join(", ")}`,
    }),
  );
}
