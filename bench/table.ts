// A plain-text table with right-aligned numbers, as the benches print their results.

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** A figure | ours | baseline | ratio | target row; NaN prints as '-'. */
export function row(figure: string, ours: number, baseline: number, digits: number, target: string): string[] {
  return [figure, num(ours, digits), num(baseline, digits), ratio(ours, baseline), target];
}

/** Formats a figure; NaN and undefined print as '-'. */
export function num(n: number | undefined, digits: number): string {
  return n !== undefined && Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';
}

/** a / b with two decimals, '-' when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && b !== 0 && Number.isFinite(a) && Number.isFinite(b) ? (a / b).toFixed(2) : '-';
}
