// Each backslash JSON.stringify writes starts one escape; the scan visits each once, left to right.
const ESCAPE = /\\(u[0-9a-f]{4}|[^u])/g;

/**
 * ServiceStack.Text JSON: like JSON.stringify (null members omitted, non-ASCII raw, `/` not
 * escaped) except that the `\uXXXX` escapes it writes for control characters use uppercase hex.
 */
export function toServiceStackJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => (member === null ? undefined : member)).replace(ESCAPE, (escape, tail: string) =>
    tail.length === 5 ? `\\u${tail.slice(1).toUpperCase()}` : escape,
  );
}
