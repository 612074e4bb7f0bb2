/** Prints rows as aligned columns, or nothing but a note when there are none. */
export function printTable<Row extends object>(rows: readonly Row[], empty: string): void {
  if (rows.length === 0) {
    console.log(empty);
    return;
  }
  const columns = Object.keys(rows[0] ?? {}) as Array<keyof Row>;
  const cell = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));
  const widths = columns.map((column) => Math.max(String(column).length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]): string => values.map((value, index) => value.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
  console.log(line(columns.map(String)));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))));
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A lookup that found nothing: said on stderr, exit code 1. */
export function printMissing(message: string): void {
  console.error(message);
  process.exitCode = 1;
}
