/**
 * ServiceStack.Text JSON: like JSON.stringify (null members omitted, non-ASCII raw, `/` not
 * escaped) except that other control characters are escaped with uppercase hex.
 */
export function toServiceStackJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => (member === null ? undefined : member)).replace(
    /(\\+)u([0-9a-f]{4})/g,
    (match, slashes: string, hex: string) => (slashes.length % 2 === 1 ? `${slashes}u${hex.toUpperCase()}` : match),
  );
}
