/**
 * An error SQLite raised. Checked by its name and code, not with `instanceof`: better-sqlite3
 * registers its error class with the native addon once per process, so under a test runner that
 * gives each file a realm of its own, the errors can come from another realm's class.
 */
export function isSqliteError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'SqliteError' || (typeof code === 'string' && code.startsWith('SQLITE_'));
}
