/**
 * The CLI's one table renderer: columns aligned by cli-table3 (which measures a cell as the
 * terminal shows it: wide and combining characters, colours), without borders, two spaces
 * between columns, no trailing blanks. `indent` starts every line.
 */
import Table from 'cli-table3';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

export function renderTable(rows: readonly (readonly string[])[], indent = ''): string[] {
  if (rows.length === 0) return [];
  const table = new Table({ chars: NO_BORDERS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  table.push(...rows.map((r) => [...r]));
  return table.toString().split('\n').map((l) => `${indent}${l}`.trimEnd());
}
