/**
 * Reads one class, context or template body into a typed BodySpec (its own
 * fields only; templates are merged later). Each declaration is read once,
 * so an error inside a template is reported once, not once per user.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Block, Decl, Ident, Stmt, SubBlock, Value } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { readAllow } from "./allow.js";
import { Code } from "./codes.js";
import { flatten } from "./defines.js";
import { BLOCKS, type BlockDef, type FieldDef, TOP_FIELDS } from "./fields.js";
import { checkHostReference } from "./references.js";
import { type BodySpec, Field, emptyBody, record } from "./spec.js";
import { readIngress, readTraffic } from "./traffic.js";
import { reportUnknownBlock, reportUnknownField } from "./unknown-fields.js";
import { type ReadCtx, amount, one } from "./values.js";
import { readUnits } from "./systemd.js";

export interface DeclSpec {
  decl: Decl;
  /** `use` names in order. */
  uses: Ident[];
  /** The declaration's own fields. */
  body: BodySpec;
}

const has = (rec: object, key: string): boolean => Object.prototype.hasOwnProperty.call(rec, key);
const BLOCK_NAMES = Object.keys(BLOCKS);

type Slot = Record<string, unknown>;

/** Sets `slot[key]`, or reports a second value for the same field in one declaration. */
function setOnce(
  slot: Slot,
  key: string,
  f: Field<unknown>,
  keySpan: Span,
  what: string,
  report: Acceptor,
) {
  const first = slot[key];
  if (first instanceof Field) {
    report(
      error(Code.duplicateField, keySpan, `${what} is set twice`, {
        related: [{ span: first.stmt, label: "first set here" }],
        help: "remove one of them",
      }),
    );
    return;
  }
  slot[key] = f;
}

export function readDecl(decl: Decl, ctx: ReadCtx): DeclSpec {
  const body = emptyBody();
  const uses: Ident[] = [];
  const where = `${decl.keyword} ${decl.name.name}`;
  for (let i = 0; i < decl.body.length; i++) {
    const st = decl.body[i]!;
    if (st.kind === "Block" && has(BLOCKS, st.key.name)) {
      readBlock(st, BLOCKS[st.key.name]!, body[st.key.name as keyof BodySpec] as Slot, ctx);
    } else if (st.kind === "Setting" && st.key.name === "id") {
      const items = st.values.flatMap((v) => flatten(v, ctx.defs, ctx.report));
      const r = one(items, "id", st.span, ctx);
      // Declared ids live in 1..60000; 60001.. is where class ids are derived.
      const v = r && amount(r, "count", "id", ctx, { min: 1, max: 60000 });
      if (typeof v === "number")
        setOnce(
          body as unknown as Slot,
          "id",
          new Field(v, r!.at, st.span, ctx.owner),
          st.key.span,
          "id",
          ctx.report,
        );
    } else if (st.kind === "Setting" && st.key.name === "units") {
      const units = readUnits(st, decl, ctx);
      if (units) setOnce(body as unknown as Slot, "units", units, st.key.span, "units", ctx.report);
    } else if (st.kind === "Setting" && st.key.name === "use") {
      for (const v of st.values) {
        for (const r of flatten(v, ctx.defs, ctx.report)) {
          if (r.s.kind === "Ident") uses.push(r.s);
          else ctx.report(error(Code.wrongType, r.at, "use expects a template name"));
        }
      }
    } else {
      misplaced(st, where, [...TOP_FIELDS, ...BLOCK_NAMES], ctx.report);
    }
  }
  return { decl, uses, body };
}

/** A statement that does not belong where it is. */
function misplaced(st: Stmt, where: string, candidates: string[], report: Acceptor): void {
  if (st.kind === "Match") {
    report(
      error(Code.unknownField, st.span, `match is not a field of ${where}`, {
        help: "match goes inside traffic NAME { ... } in a link block",
      }),
    );
  } else if (st.kind === "Block" || st.kind === "SubBlock" || (st.kind === "Unknown" && st.body)) {
    reportUnknownBlock(
      st.key,
      where,
      candidates.filter((c) => has(BLOCKS, c)),
      report,
    );
  } else if (st.kind === "Allow") {
    report(
      error(Code.unknownField, st.span, `allow is not a field of ${where}`, {
        help: "allow rules go inside net { ... }",
      }),
    );
  } else if (has(BLOCKS, st.key.name)) {
    report(
      error(Code.wrongType, st.key.span, `${st.key.name} is a block`, {
        help: `write ${st.key.name} { ... }`,
      }),
    );
  } else {
    reportUnknownField(st.key, where, candidates, report);
  }
}

function readBlock(block: Block, def: BlockDef, slot: Slot, ctx: ReadCtx): void {
  const key = block.key.name;
  if (!(slot.loc instanceof Field))
    slot.loc = new Field(null, block.key.span, block.span, ctx.owner);
  for (let i = 0; i < block.body.length; i++) {
    const st = block.body[i]!;
    if (st.kind === "Setting" && has(def.fields, st.key.name)) {
      readField(
        st.key,
        st.values,
        st.span,
        def.fields[st.key.name]!,
        `${key} ${st.key.name}`,
        slot,
        ctx,
      );
    } else if (st.kind === "SubBlock" && has(def.subs, st.key.name)) {
      readSub(st, key, def.subs[st.key.name]!, slot, ctx);
    } else if (st.kind === "Allow" && def.allow) {
      const rule = readAllow(st, ctx);
      if (rule) (slot.allow as Field<unknown>[]).push(new Field(rule, st.span, st.span, ctx.owner));
    } else {
      misplaced(
        st,
        key,
        [...Object.keys(def.fields), ...Object.keys(def.subs), ...(def.allow ? ["allow"] : [])],
        ctx.report,
      );
    }
  }
}

function readSub(
  st: SubBlock,
  blockKey: string,
  fields: Record<string, FieldDef>,
  slot: Slot,
  ctx: ReadCtx,
): void {
  const subKey = st.key.name;
  const known = checkHostReference(subKey, st.label, ctx);
  const subs = slot[subKey] as Record<string, Slot>;
  // An unknown link/device is still read (to report its own mistakes) into a throwaway slot.
  const target: Slot = known ? (subs[st.label.name] ??= Object.create(null) as Slot) : record();
  if (known && target.loc instanceof Field) {
    ctx.report(
      error(
        Code.duplicateField,
        st.label.span,
        `${blockKey} ${subKey} ${st.label.name} is written twice`,
        {
          related: [
            {
              span: (target.loc as Field<null>).stmt,
              label: "first written here",
            },
          ],
          help: "put its fields in one block",
        },
      ),
    );
  } else {
    target.loc = new Field(null, st.label.span, st.span, ctx.owner);
  }
  const where = `${blockKey} ${subKey}`;
  // `%` of a link is of its rate (language-v2.md §3).
  const sctx: ReadCtx =
    subKey === "link" && ctx.hostLinkRates?.has(st.label.name)
      ? { ...ctx, linkRate: ctx.hostLinkRates.get(st.label.name)! }
      : ctx;
  for (let i = 0; i < st.body.length; i++) {
    const s = st.body[i]!;
    if (s.kind === "Setting" && has(fields, s.key.name)) {
      const what = `${where} ${st.label.name} ${s.key.name}`;
      readField(s.key, s.values, s.span, fields[s.key.name]!, what, target, sctx);
    } else if (subKey === "link" && s.kind === "SubBlock" && s.key.name === "traffic") {
      const t = readTraffic(s, st.label.name, sctx);
      ((target.traffic as Field<unknown>[] | undefined) ??= []).push(
        new Field(t, s.label.span, s.span, ctx.owner),
      );
    } else if (subKey === "link" && s.kind === "Block" && s.key.name === "ingress") {
      if (target.ingress instanceof Field) {
        ctx.report(
          error(
            Code.duplicateField,
            s.key.span,
            `${where} ${st.label.name} ingress is written twice`,
            {
              related: [
                { span: (target.ingress as Field<unknown>).stmt, label: "first written here" },
              ],
            },
          ),
        );
      } else target.ingress = new Field(readIngress(s, sctx), s.key.span, s.span, ctx.owner);
    } else {
      misplaced(
        s,
        where,
        subKey === "link" ? [...Object.keys(fields), "traffic", "ingress"] : Object.keys(fields),
        ctx.report,
      );
    }
  }
}

function readField(
  key: Ident,
  values: Value[],
  stmt: Span,
  def: FieldDef,
  what: string,
  slot: Slot,
  ctx: ReadCtx,
): void {
  const items =
    values.length === 1
      ? flatten(values[0]!, ctx.defs, ctx.report)
      : values.flatMap((v) => flatten(v, ctx.defs, ctx.report));
  const v = def.read(items, stmt, ctx, what);
  if (v === undefined) return;
  if (def.repeat) {
    const list = slot[key.name] as Field<unknown>[];
    const pairs = v as Array<[unknown, Span]>;
    for (let i = 0; i < pairs.length; i++)
      list.push(new Field(pairs[i]![0], pairs[i]![1], stmt, ctx.owner));
    return;
  }
  const valueSpan =
    items.length === 1 ? items[0]!.at : items.length > 0 ? spanOf(items.map((i) => i.at)) : stmt;
  setOnce(slot, key.name, new Field(v, valueSpan, stmt, ctx.owner), key.span, what, ctx.report);
}

/** From the first span's start to the last's end (the values of one statement). */
function spanOf(spans: Span[]): Span {
  const a = spans[0]!;
  if (spans.length === 1) return a;
  const b = spans[spans.length - 1]!;
  return { ...a, end: b.end, endLine: b.endLine, endCol: b.endCol };
}
