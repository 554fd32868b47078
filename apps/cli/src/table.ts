import { type Style, type StyleName, stripAnsi } from './ansi.js';

export interface Column<T> {
  header: string;
  cell(row: T): string;
  /** A colour for this cell, applied after alignment so escapes do not skew the widths. */
  color?(row: T): StyleName | undefined;
  align?: 'left' | 'right';
}

/** Display width: code points, which is right for the ASCII and Latin text these tables hold. */
const width = (text: string): number => [...stripAnsi(text)].length;

/** No column is cut narrower than this, however narrow the terminal. */
const MIN_COLUMN = 8;
const GAP = 2;

/**
 * Column widths that fit `maxWidth`: the widest column gives up a character at a time (the
 * rightmost of equals first), so the widest are cut down to the next widest and then together,
 * never below MIN_COLUMN or their header; a table that cannot get narrower stays as it is.
 */
function fitted(widths: number[], headers: readonly number[], maxWidth: number | undefined): number[] {
  const fit = [...widths];
  if (maxWidth === undefined) return fit;
  const floor = (i: number) => Math.max(MIN_COLUMN, headers[i] ?? 0);
  let excess = fit.reduce((sum, w) => sum + w, 0) + GAP * (fit.length - 1) - maxWidth;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < fit.length; i++) {
      if (fit[i]! > floor(i) && (widest < 0 || fit[i]! >= fit[widest]!)) widest = i;
    }
    if (widest < 0) break;
    fit[widest]! -= 1;
    excess -= 1;
  }
  return fit;
}

/**
 * An aligned table: a dimmed header, columns two spaces apart, no trailing spaces. With
 * `maxWidth` (the terminal's), the widest columns are cut with an ellipsis so that no line wraps.
 */
export function renderTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  style: Style,
  maxWidth?: number,
): string {
  const full = rows.map((row) => columns.map((column) => column.cell(row)));
  const headers = columns.map((column) => width(column.header));
  const widths = fitted(
    columns.map((_column, i) => Math.max(headers[i] ?? 0, ...full.map((line) => width(line[i] ?? '')))),
    headers,
    maxWidth,
  );
  const cells = full.map((line) => line.map((cell, i) => truncate(cell, widths[i] ?? cell.length)));
  const pad = (text: string, i: number, color: StyleName | undefined): string => {
    const column = columns[i];
    const fill = ' '.repeat((widths[i] ?? 0) - width(text));
    const shown = color && text !== '' ? style[color](text) : text;
    if (column?.align === 'right') return fill + shown;
    return i === columns.length - 1 ? shown : shown + fill;
  };
  // trimEnd: empty trailing cells would otherwise leave padding at the end of the line.
  const header = columns.map((column, i) => pad(column.header, i, 'dim')).join('  ');
  const body = rows.map((row, r) =>
    columns
      .map((column, i) => pad(cells[r]?.[i] ?? '', i, column.color?.(row)))
      .join('  ')
      .trimEnd(),
  );
  return [header, ...body].join('\n');
}

/** Shortens text to `max` characters with an ellipsis, for wide cells like event data. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
