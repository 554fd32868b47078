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

describe('renderTable within a width', () => {
  const wide = [
    { name: 'update', seq: 3, note: 'a note far longer than the rest of the table put together' },
  ];
  const plain = createStyle(false);

  it('cuts the widest column with an ellipsis so that no line is longer than the width', () => {
    const text = renderTable(wide, columns, plain, 40);
    expect(text.split('\n').map((line) => line.length)).toEqual([17, 40]);
    expect(text).toBe(['SEQ  EVENT   NOTE', '  3  update  a note far longer than the…'].join('\n'));
  });

  it('cuts the widest down to the next widest, then both, never below 8 characters or the header', () => {
    const two = [{ name: 'x'.repeat(20), seq: 1, note: 'y'.repeat(30) }];
    const text = renderTable(two, columns, plain, 30);
    expect(text.split('\n')[1]).toBe(`  1  ${'x'.repeat(11)}…  ${'y'.repeat(10)}…`);
    expect(renderTable(two, columns, plain, 5).split('\n')[1]).toBe(
      `  1  ${'x'.repeat(7)}…  ${'y'.repeat(7)}…`,
    );
    expect(renderTable(rows, columns, plain, 200)).toBe(renderTable(rows, columns, plain));
  });
});

describe('truncate', () => {
  it('shortens long text with an ellipsis and leaves short text alone', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
