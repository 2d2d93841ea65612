/**
 * A short description of any value for error messages (kernel and facade). Never throws: a symbol, a
 * null-prototype object or a bigint describes itself, where `${value}`, String(object) or
 * JSON.stringify would throw an engine TypeError in place of the error the user should see.
 */
export function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : `${typeof value} ${String(value)}`;
}
