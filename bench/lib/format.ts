/** Number formatting for the tables. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Microseconds as ms with sensible precision. */
export function ms(micros: number): string {
  const v = micros / 1000;
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}x`;
}

export function pct(n: number): string {
  return `${Math.round(n)} %`;
}

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
