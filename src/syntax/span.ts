/**
 * Span construction. Chevrotain tokens carry 1-based line/column with an
 * inclusive end; `Span` is 1-based with an exclusive end (see diagnostic.ts).
 */
import type { IToken } from "chevrotain";
import type { Span } from "../diag/diagnostic.js";

export function tokenSpan(file: string, t: IToken): Span {
  return {
    file,
    start: t.startOffset,
    end: t.endOffset! + 1,
    line: t.startLine!,
    col: t.startColumn!,
    endLine: t.endLine!,
    endCol: t.endColumn! + 1,
  };
}

/** From the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  return {
    file: a.file,
    start: a.start,
    end: b.end,
    line: a.line,
    col: a.col,
    endLine: b.endLine,
    endCol: b.endCol,
  };
}

/**
 * Maps offsets to line/column for spans that do not come from a token (lexer
 * issues, end of file). Lines end at `\n`, `\r\n` or `\r`, as in the lexer.
 */
export class LineMap {
  /** Line starts found so far: those up to `scanned` (lines are found as far as needed). */
  private readonly starts = [0];
  private scanned = 0;
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  /** The line starts, found at least up to `offset`. */
  private lineStarts(offset: number): number[] {
    const s = this.starts;
    const t = this.text;
    let i = this.scanned;
    for (; i < t.length && i <= offset; i++) {
      const c = t.charCodeAt(i);
      if (c === 10) s.push(i + 1);
      else if (c === 13) {
        if (t.charCodeAt(i + 1) === 10) i++;
        s.push(i + 1);
      }
    }
    this.scanned = Math.max(this.scanned, i);
    return s;
  }

  position(offset: number): { line: number; col: number } {
    const s = this.lineStarts(offset);
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - s[lo]! + 1 };
  }

  span(start: number, end: number): Span {
    const a = this.position(start);
    const b = this.position(end);
    return {
      file: this.file,
      start,
      end,
      line: a.line,
      col: a.col,
      endLine: b.line,
      endCol: b.col,
    };
  }
}
