/** SQLSTATE 23503: a row names a parent that does not exist (any more). */
export function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23503';
}
