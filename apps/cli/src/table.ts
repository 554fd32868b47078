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

/**
 * An aligned table: a dimmed header, columns two spaces apart, no trailing spaces.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], style: Style): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, i) =>
    Math.max(width(column.header), ...cells.map((line) => width(line[i] ?? ''))),
  );
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
