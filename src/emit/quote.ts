/**
 * Quoting for generated artifacts. Names from a config are already
 * grammar-restricted, but every user-derived value still passes through one
 * of these, so a checker bug cannot turn into an injection.
 */

// The patterns are module constants: a regex literal inside a function is a
// new RegExp object on every call, and these run once per value written.
const SH_WORD = /^[A-Za-z0-9_./:=+@,-]+$/;
const QUOTE = /'/g;
const SAFE_COMMENT_TEXT = /^[A-Za-z0-9 ._/:+,=@()-]*$/;
const SAFE_COMMENT = /[A-Za-z0-9 ._/:+,=@()-]/;

/** POSIX sh single-quoted word: safe for any string (a ' becomes '\''). */
export function shQuote(s: string): string {
  if (SH_WORD.test(s)) return s;
  return `'${s.replace(QUOTE, `'\\''`)}'`;
}

/**
 * Text that is safe inside a `#` comment of sh, nft and tc batch files (and
 * inside a C-style comment): printable ASCII from a small set; every other
 * character, including newlines, quotes, `*`, `\` and non-ASCII, becomes
 * `\xNN` per UTF-8 byte. So a file name can never end the comment line.
 */
export function commentText(s: string): string {
  if (SAFE_COMMENT_TEXT.test(s)) return s;
  let out = "";
  for (const ch of s) {
    if (SAFE_COMMENT.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

import { NAME_PATH_RE as NAME_PATH } from "../model/names.js";
import { InternalError } from "../diag/internal-error.js";

/** A systemd slice path (driver systemd): escaped names (`\x2d` for `-`), each ending in `.slice`. */
const SLICE_PATH = /^(?:[a-z0-9_-]|\\x2d)+\.slice(?:\/(?:[a-z0-9_-]|\\x2d)+\.slice)*$/;

/**
 * A cgroup path or name for a double-quoted nft string. nft strings have no
 * escapes, so anything outside the name grammar is a bug: throw.
 */
export function nftName(s: string): string {
  if (!NAME_PATH.test(s) && !SLICE_PATH.test(s))
    throw new InternalError(`${JSON.stringify(s)} is not a valid name path`);
  return s;
}
