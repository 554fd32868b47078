import { describe, expect, it } from 'vitest';
import { createStyle, stripAnsi } from './ansi.js';
import { renderTable, truncate } from './table.js';

const rows = [
  { name: 'run', seq: 2, note: 'moves to RUNNING' },
  { name: 'finish', seq: 10, note: '' },
];
const columns = [
  { header: 'SEQ', cell: (r: (typeof rows)[number]) => String(r.seq), align: 'right' as const },
  { header: 'EVENT', cell: (r: (typeof rows)[number]) => r.name, color: () => 'bold' as const },
  { header: 'NOTE', cell: (r: (typeof rows)[number]) => r.note },
];

describe('renderTable', () => {
  it('aligns columns two spaces apart, right-aligning numbers, with no trailing spaces', () => {
    expect(renderTable(rows, columns, createStyle(false))).toBe(
      ['SEQ  EVENT   NOTE', '  2  run     moves to RUNNING', ' 10  finish'].join('\n'),
    );
  });

  it('keeps the alignment when cells are coloured', () => {
    const coloured = renderTable(rows, columns, createStyle(true));
    expect(coloured).toContain('\u001b[1mrun\u001b[22m');
    expect(stripAnsi(coloured)).toBe(renderTable(rows, columns, createStyle(false)));
  });
});

describe('truncate', () => {
  it('shortens long text with an ellipsis and leaves short text alone', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
