/**
 * What the nft text of a saved plan may contain. A plan is untrusted input
 * and its ruleset is loaded as root with `nft -f -`, so before it runs the
 * text is split into statements and blocks (nft's own lexical rules: `#`
 * comments, double-quoted strings, `{ }` blocks, `;` and newlines ending a
 * statement, `\` continuing a line) and held to the shape vsc emits
 * (templates/ruleset.nft.hbs):
 *
 *  - top level: `table inet vsc {}` / `table inet vsc { ... }`, `add|create
 *    table inet vsc [{ ... }]`, `delete|destroy|flush table inet vsc`;
 *  - inside the table: `chain NAME { ... }`, `set NAME { ... }`,
 *    `map NAME { ... }`, `comment "..."`;
 *  - a base chain: `type filter hook input|output|forward priority P` and
 *    `policy accept` (no device hooks, no drop policy for the host);
 *  - nowhere: `include` (reads files as root), `define`/`redefine`/`undefine`
 *    and `$variables`, control characters other than tab and newline.
 *
 * Rules inside vsc's chains are otherwise free: the table is vsc's own, and
 * nothing in a chain can name another table.
 */

export interface RulesetProblem {
  /** 1-based line in the ruleset text. */
  line: number;
  message: string;
}

type Item = { word: string; line: number } | { block: Stmt[]; line: number };
interface Stmt {
  items: Item[];
  line: number;
}

const FORBIDDEN_WORDS = new Set(["include", "define", "redefine", "undefine"]);
const HOOKS = new Set(["input", "output", "forward"]);

/**
 * Characters that end a word (by char code): white space, `;`, braces, quote, `#`.
 * A table lookup and indexOf for comments and strings instead of a regex per
 * character: rulesetProblems on the 1,000-context ruleset (1 MB, bench
 * gen-config), median of 15 in one process, 175 -> 120 ms (1.14x to 1.46x
 * over three runs, on a 2-core box at load 15).
 */
const STOP: boolean[] = [];
for (const c of ' \t\r\n\v\f;{}"#') STOP[c.charCodeAt(0)] = true;

/** Splits nft text into statements and nested blocks; throws a RulesetProblem on broken nesting. */
function parse(text: string): Stmt[] {
  const root: Stmt[] = [];
  const stack: { stmts: Stmt[]; cur: Stmt }[] = [{ stmts: root, cur: { items: [], line: 1 } }];
  let line = 1;
  const top = () => stack[stack.length - 1]!;
  const endStmt = () => {
    const t = top();
    if (t.cur.items.length > 0) t.stmts.push(t.cur);
    t.cur = { items: [], line };
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      i++;
      endStmt();
    } else if (c === "\\" && text[i + 1] === "\n") {
      line++;
      i += 2;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if (c === ";") {
      i++;
      endStmt();
    } else if (c === "{") {
      const t = top();
      if (t.cur.items.length === 0) t.cur.line = line;
      const block: Stmt[] = [];
      t.cur.items.push({ block, line });
      stack.push({ stmts: block, cur: { items: [], line } });
      i++;
    } else if (c === "}") {
      if (stack.length === 1) throw { line, message: "a `}` closes nothing" };
      endStmt();
      stack.pop();
      i++;
    } else if (c === '"') {
      const start = i;
      const q = text.indexOf('"', i + 1);
      const nl = text.indexOf("\n", i + 1);
      if (q < 0 || (nl >= 0 && nl < q))
        throw { line, message: "a string is not closed on its line" };
      i = q + 1;
      const t = top();
      if (t.cur.items.length === 0) t.cur.line = line;
      t.cur.items.push({ word: text.slice(start, i), line });
    } else {
      const start = i;
      while (i < text.length && !STOP[text.charCodeAt(i)]) i++;
      if (i === start) i++; // a lone character the loop above cannot take
      const t = top();
      if (t.cur.items.length === 0) t.cur.line = line;
      t.cur.items.push({ word: text.slice(start, i), line });
    }
  }
  if (stack.length > 1) throw { line, message: "a `{` is never closed" };
  endStmt();
  return root;
}

const words = (s: Stmt) => s.items.map((it) => ("word" in it ? it.word : "{}"));
const isWord = (it: Item | undefined, w: string) => !!it && "word" in it && it.word === w;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Problems with `text` as the ruleset of a saved plan; [] when it stays inside table inet vsc. */
export function rulesetProblems(text: string): RulesetProblem[] {
  const out: RulesetProblem[] = [];
  const ctl = /[\x00-\x08\x0b-\x1f\x7f]/.exec(text);
  if (ctl) {
    const line = text.slice(0, ctl.index).split("\n").length;
    return [{ line, message: `control character 0x${ctl[0].charCodeAt(0).toString(16)}` }];
  }
  let stmts: Stmt[];
  try {
    stmts = parse(text);
  } catch (e) {
    return [e as RulesetProblem];
  }
  // Words that are never allowed, at any depth.
  const scan = (ss: Stmt[]) => {
    for (const s of ss)
      for (const it of s.items) {
        if ("block" in it) scan(it.block);
        else if (FORBIDDEN_WORDS.has(it.word) || it.word.startsWith("$"))
          out.push({ line: it.line, message: `\`${it.word}\` is not allowed in a plan's ruleset` });
      }
  };
  scan(stmts);
  if (out.length > 0) return out;

  for (const s of stmts) {
    const w = words(s);
    const verb = w[0] === "table" ? "" : w[0]!;
    const rest = verb === "" ? w : w.slice(1);
    const ours = rest[0] === "table" && rest[1] === "inet" && rest[2] === "vsc";
    if (!ours) {
      out.push({
        line: s.line,
        message: `\`${w.join(" ")}\`: only table inet vsc may be made, flushed or deleted`,
      });
      continue;
    }
    const tail = s.items.slice(verb === "" ? 3 : 4);
    if (verb === "delete" || verb === "destroy" || verb === "flush") {
      if (tail.length > 0)
        out.push({ line: s.line, message: `\`${w.join(" ")}\`: nothing may follow the table` });
      continue;
    }
    if (verb !== "" && verb !== "add" && verb !== "create") {
      out.push({ line: s.line, message: `\`${verb} table\` is not something vsc writes` });
      continue;
    }
    if (tail.length === 0) continue;
    const body = tail[0]!;
    if (tail.length > 1 || !("block" in body)) {
      out.push({ line: s.line, message: "the table's name must be followed by its block only" });
      continue;
    }
    checkTable(body.block, out);
  }
  return out;
}

function checkTable(stmts: Stmt[], out: RulesetProblem[]): void {
  for (const s of stmts) {
    const [kind, name, body, ...more] = s.items;
    if (isWord(kind, "comment") && s.items.length === 2 && "word" in name! && name.word[0] === '"')
      continue;
    const k = kind && "word" in kind ? kind.word : "";
    if (k !== "chain" && k !== "set" && k !== "map") {
      out.push({
        line: s.line,
        message: `\`${words(s).join(" ")}\`: a table of vsc holds only chains, sets and maps`,
      });
      continue;
    }
    if (
      !name ||
      !("word" in name) ||
      !NAME.test(name.word) ||
      !body ||
      !("block" in body) ||
      more.length > 0
    ) {
      out.push({ line: s.line, message: `\`${k}\` must be \`${k} NAME { ... }\`` });
      continue;
    }
    if (k === "chain") checkChain(body.block, out);
    else checkSet(body.block, out);
  }
}

function checkChain(stmts: Stmt[], out: RulesetProblem[]): void {
  for (const s of stmts) {
    const w = words(s);
    if (w[0] === "type") {
      const ok =
        w.length === 6 &&
        w[1] === "filter" &&
        w[2] === "hook" &&
        HOOKS.has(w[3]!) &&
        w[4] === "priority" &&
        /^(filter|-?\d{1,6})$/.test(w[5]!);
      if (!ok)
        out.push({
          line: s.line,
          message: `\`${w.join(" ")}\`: a base chain of vsc is \`type filter hook input|output|forward priority P\``,
        });
    } else if (w[0] === "policy") {
      if (w.length !== 2 || w[1] !== "accept")
        out.push({
          line: s.line,
          message: `\`${w.join(" ")}\`: vsc's base chains accept by policy`,
        });
    } else if (w[0] === "hook" || w[0] === "devices" || w[0] === "device") {
      out.push({ line: s.line, message: `\`${w.join(" ")}\` is not something vsc writes` });
    }
  }
}

function checkSet(stmts: Stmt[], out: RulesetProblem[]): void {
  for (const s of stmts) {
    const w = words(s);
    if (
      !["type", "flags", "auto-merge", "elements", "comment", "typeof", "size", "timeout"].includes(
        w[0]!,
      )
    )
      out.push({
        line: s.line,
        message: `\`${w.join(" ")}\` is not something vsc writes in a set`,
      });
  }
}
