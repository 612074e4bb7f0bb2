import { parseTree, type Node, type ParseError } from 'jsonc-parser';

/**
 * PHP's `json_encode($value)` with default flags: the bytes Qvickly signs.
 *
 * No whitespace; `/` as `\/`; every UTF-16 code unit at or above U+0080 as a lowercase
 * `\uXXXX` escape (astral characters become surrogate pairs); DEL left raw; keys in the
 * order given. Floats follow PHP's `serialize_precision = -1` formatting.
 */
export function phpJsonEncode(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return phpJsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // An integral number that fits PHP's int64 is an int on the PHP side; anything else a float.
      // (-2^63 itself stays a float: JavaScript prints it as -9223372036854776000, which PHP reads as one.)
      return Number.isInteger(value) && Math.abs(value) < 2 ** 63 ? BigInt(value).toString() : phpFloat(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(phpJsonEncode).join(',')}]`;
      const members = Object.entries(value as Record<string, unknown>).map(
        ([key, member]) => `${phpJsonString(key)}:${phpJsonEncode(member)}`,
      );
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`json_encode cannot encode a ${typeof value}`);
  }
}

/**
 * Re-encodes JSON text the way a PHP receiver does (`json_encode(json_decode($text))`),
 * keeping key order and number literals that a JavaScript object would lose.
 * Returns undefined when the text is not JSON PHP could round-trip.
 */
export function phpJsonReencode(jsonText: string): string | undefined {
  try {
    const errors: ParseError[] = [];
    const root = parseTree(jsonText, errors, { disallowComments: true, allowTrailingComma: false });
    if (!root || errors.length > 0) return undefined;
    return encodeNode(root, jsonText);
  } catch {
    // Too deep to walk (or not encodable, e.g. 1e400): PHP could not have produced it either.
    return undefined;
  }
}

function encodeNode(node: Node, text: string): string {
  switch (node.type) {
    case 'object': {
      const members = (node.children ?? []).map((property) => {
        const [key, value] = property.children ?? [];
        if (!key || !value) throw new Error('incomplete property');
        return `${phpJsonString(String(key.value))}:${encodeNode(value, text)}`;
      });
      return `{${members.join(',')}}`;
    }
    case 'array':
      return `[${(node.children ?? []).map((child) => encodeNode(child, text)).join(',')}]`;
    case 'string':
      return phpJsonString(String(node.value));
    case 'number':
      return phpNumberLiteral(text.slice(node.offset, node.offset + node.length));
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
    default:
      throw new Error(`unexpected JSON node ${node.type}`);
  }
}

const SHORT_ESCAPES: Record<number, string> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x2f: '\\/',
  0x5c: '\\\\',
};

function phpJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) out += short;
    else if (unit < 0x20 || unit >= 0x80) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += value[i];
  }
  return `${out}"`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A JSON number literal as PHP re-encodes it: int64 stays an integer, anything else a float. */
function phpNumberLiteral(literal: string): string {
  if (/^-?\d+$/.test(literal)) {
    const integer = BigInt(literal);
    if (integer >= INT64_MIN && integer <= INT64_MAX) return integer.toString();
  }
  return phpFloat(Number(literal));
}

/**
 * PHP 7.1+ float output with serialize_precision = -1 and default json_encode flags: the
 * shortest round-trip digits, exponent form (always with a fraction, `1.0e+25`) when the
 * decimal point falls before the 4th leading zero or after the 17th digit, and no ".0" on
 * integral values in fixed form (that needs JSON_PRESERVE_ZERO_FRACTION).
 */
function phpFloat(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError('PHP json_encode cannot encode INF or NAN');
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const decimalPoint = exponent + 1;
  if (decimalPoint < -3 || decimalPoint > 17) {
    const fraction = digits.slice(1) || '0';
    return `${sign}${digits[0]}.${fraction}e${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}`;
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
}
