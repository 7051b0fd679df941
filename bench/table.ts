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
  const f = (n: number): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');
  const ratio = baseline !== 0 && Number.isFinite(ours) && Number.isFinite(baseline) ? (ours / baseline).toFixed(2) : '-';
  return [figure, f(ours), f(baseline), ratio, target];
}
