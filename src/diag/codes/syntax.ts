import type { CodeTable } from "./types.js";

/** VSC1xxx syntax, and VSC2001-VSC2009 (includes); owned by the parser. */
export const syntaxCodes: CodeTable = {
  VSC1001: {
    title: "unexpected character",
    explain:
      "A character that cannot start any token, such as `;`, `@`, `!`, a single quote or an invisible " +
      "Unicode character, appears outside a string or comment.\n\n" +
      "    context web { id 101; }     # `;` is not needed\n\n" +
      "Remove the character. Statements end where the next one starts, so no separator is needed; " +
      'free text such as paths goes in double quotes: `root "/srv/web"`.',
  },
  VSC1002: {
    title: "invalid name",
    explain:
      "Names are 1 to 63 characters: lower case ASCII letters, digits, `_` and `-`, starting with a " +
      "letter (`[a-z][a-z0-9_-]{0,62}`). They become cgroup directory names, nftables identifiers and " +
      "tc comments, so nothing else is accepted: no upper case, dots, slashes, spaces or quotes. A `$` " +
      "reference must be `$` followed by such a name.\n\n" +
      "    context Web.1 { ... }       # error\n    context web-1 { ... }       # fine\n\n" +
      "Rename the item so that it matches the rule.",
  },
  VSC1003: {
    title: "unterminated string",
    explain:
      'A string starts with `"` but the line ends before the closing `"`. Strings cannot span lines.\n\n' +
      '    hostname "web.example\n\n' +
      'Close the string on the same line: `hostname "web.example"`.',
  },
  VSC1004: {
    title: "invalid escape in a string",
    explain:
      'Strings know only two escapes: `\\"` for a double quote and `\\\\` for a backslash. Any other ' +
      "backslash sequence, such as `\\n` or `\\t`, is an error so that a string means exactly what it shows.\n\n" +
      '    root "C:\\new"              # error: `\\n`\n\n' +
      "Write the character itself, or `\\\\` for a literal backslash.",
  },
  VSC1005: {
    title: "control character in a string",
    explain:
      "A string contains a control character (U+0000..U+001F except tab, or U+007F). Strings end up in " +
      "hostnames, paths and generated scripts, so they hold printable text only. Remove the character.",
  },
  VSC1006: {
    title: "missing token",
    explain:
      "The parser expected a specific token (a name, `{`, `=`, `in`/`out`, a quoted path...) and found " +
      "something else. The message says what was expected after which word.\n\n" +
      '    context "web" { ... }       # a name is written without quotes\n' +
      "    context web in { ... }      # `in` needs the name of a class\n\n" +
      "Add or fix the token the message names.",
  },
  VSC1007: {
    title: "missing value",
    explain:
      "A key that takes a value is followed by something that is not a value (or by the end of the block).\n\n" +
      "    cpu { limit }               # error\n    cpu { limit 1 cpus }        # fine\n\n" +
      "Give the key its value: a number, a quantity with its unit, an address, a string, a name or `max`.",
  },
  VSC1008: {
    title: "unexpected token in a block",
    explain:
      "Inside a block every statement starts with a key; a value, `=` or `,` was found where a key or " +
      "the closing `}` should be.\n\n" +
      "    memory { 512MiB }           # which setting?\n    memory { limit 512MiB }     # fine\n\n" +
      "Add the missing key or remove the stray token.",
  },
  VSC1009: {
    title: "unclosed block",
    explain:
      "A `{` is never closed: the file ends, or the next top-level item (`context`, `class`, ...) starts, " +
      "while a block is still open. At the end of the file the error also points at the outermost `{` " +
      "that is never closed. Add the missing `}` where the block should end.\n\n" +
      "    context a {\n      cpu { share 1 }\n    context b { ... }           # missing `}` before `context`",
  },
  VSC1010: {
    title: "unexpected token at the top level",
    explain:
      "At the top level a file holds only `define`, `include`, `host`, `template`, `class` and " +
      "`context` items. Anything else (a misspelt keyword, a stray `}`, a setting outside any block) is " +
      "reported here; the parser skips to the next item and goes on.\n\n" +
      "    contxt web { ... }          # did you mean `context`?\n\n" +
      "Fix the keyword, or move the statement into the block it belongs to.",
  },
  VSC1011: {
    title: "malformed value",
    explain:
      "A word that starts like a number or address is neither: for example `1.2.3`, `.5`, `10-`, or a " +
      "value glued to punctuation such as `4;`.\n\n" +
      "    cpu { share .5 }            # write 0.5\n\n" +
      "Write a plain number (`2`, `1.5`), a quantity with its unit glued on (`512MiB`, `10%`, `50MB/s`), " +
      "a range (`8000-8080`), a device number (`254:0`) or an address (`10.0.0.0/24`, `fd00::11`).",
  },
  VSC1012: {
    title: "invalid address",
    explain:
      "An IPv4 address has an octet above 255 or a prefix above /32, or an IPv6 address has a prefix " +
      "above /128.\n\n    address 10.0.0.300               # error\n\nFix the address.",
  },
  VSC1013: {
    title: "blocks nested too deep",
    explain:
      "Braces nest at most 64 deep. A vsc file needs three or four levels (a context, its `net` block, " +
      "a `link` in it); the limit exists so that a hostile or broken file (thousands of `{`) ends in " +
      "this error instead of exhausting the parser's stack.\n\n" +
      "    context a { x { x { x { ... } } } }     # 65 levels: error\n\n" +
      "vsc skips the block that goes too deep (to its matching `}`) and goes on. Flatten the file.",
  },
  VSC1014: {
    title: "token too long",
    explain:
      "A word, number or string is longer than 4096 characters. Names have at most 63 characters, " +
      "and strings hold hostnames and paths (a Linux path has at most 4096 bytes), so nothing valid is " +
      "this long; the limit keeps the lexer's work and memory bounded on hostile input.\n\n" +
      "Shorten the value, or check the file for a missing closing quote.",
  },
  VSC1015: {
    title: "too many errors",
    explain:
      "After 100 errors in one file, vsc stops reading it and reports this error where it stopped. A " +
      "file with that many errors is usually not a vsc file at all (a binary, a wrong path, generated " +
      "garbage); stopping keeps the time and memory spent on it bounded and the report readable.\n\n" +
      "Fix the errors shown (often the first one causes the rest) and run vsc again.",
  },
  VSC2001: {
    title: "include matches no file",
    explain:
      "An `include` without glob characters names a file that does not exist. The path is relative to " +
      "the directory of the file that contains the `include`.\n\n" +
      '    include "contexts/web.vsc"   # error if contexts/web.vsc is missing\n\n' +
      "Fix the path. A pattern with glob characters (`*`, `?`, `[...]`, `{a,b}`) may match no file at " +
      'all without error, so `include "contexts/*.vsc"` works with an empty directory.',
  },
  VSC2002: {
    title: "include cycle",
    explain:
      "A file includes itself, directly or through other files. The error points at the `include` that " +
      "closes the cycle and lists the chain.\n\n" +
      '    # main.vsc\n    include "*.vsc"             # matches main.vsc itself\n\n' +
      "Remove one include of the cycle, or narrow the pattern (for example, keep included files in a " +
      "subdirectory).",
  },
  VSC2003: {
    title: "cannot read file",
    explain:
      "The entry file, or a file matched by an include pattern, could not be read (it vanished, is a " +
      "directory, or lacks read permission). Check the path and its permissions.",
  },
  VSC2004: {
    title: "empty include path",
    explain:
      'An `include ""` names nothing. Write a path or glob relative to the including file, e.g. ' +
      '`include "contexts/*.vsc"`, or remove the line.',
  },
};
