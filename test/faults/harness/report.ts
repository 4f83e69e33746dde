/**
 * The figures of one fault (requests, 2xx, rows checked, violations…), printed as one block so that
 * a CI log shows what each fault test did, not only that it passed.
 */
export function report(fault: string, figures: Record<string, number | string | boolean>): void {
  const lines = Object.entries(figures).map(([name, value]) => `  ${name}: ${typeof value === 'number' ? round(value) : value}`);
  process.stdout.write(`\n[fault] ${fault}\n${lines.join('\n')}\n`);
}

function round(value: number): number {
  return Number.isInteger(value) ? value : Math.round(value * 10) / 10;
}

/** The median of some numbers (0 for none). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
