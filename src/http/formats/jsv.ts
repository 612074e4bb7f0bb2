// Characters that make ServiceStack's JSV writer quote a string (StringExtensions.EncodeJsv).
const NEEDS_QUOTES = /["\r\n:,{}[\]]/;

function jsvString(value: string): string {
  if (value === '') return '""';
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** ServiceStack JSV: unquoted keys, strings quoted only when needed, booleans True/False, nulls omitted. */
export function toJsv(value: unknown): string {
  if (typeof value === 'string') return jsvString(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(toJsv).join(',')}]`;
  if (value && typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, member]) => member !== null && member !== undefined)
      .map(([key, member]) => `${key}:${toJsv(member)}`);
    return `{${members.join(',')}}`;
  }
  return '';
}
