const LOWER_U = 117;

/**
 * ServiceStack.Text JSON: like JSON.stringify (null members omitted, non-ASCII raw, `/` not
 * escaped) except that the `\uXXXX` escapes it writes for control characters use uppercase hex.
 * One pass over the text: every backslash JSON.stringify writes starts exactly one escape.
 */
export function toServiceStackJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, member: unknown) => (member === null ? undefined : member));
  let out = '';
  let copied = 0;
  for (let index = text.indexOf('\\'); index >= 0; index = text.indexOf('\\', index)) {
    if (text.charCodeAt(index + 1) === LOWER_U) {
      out += `${text.slice(copied, index + 2)}${text.slice(index + 2, index + 6).toUpperCase()}`;
      copied = index + 6;
      index += 6;
    } else {
      index += 2; // `\\`, `\"`, `\n` and the like: kept as they are
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
