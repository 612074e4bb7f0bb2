import * as jsonc from 'jsonc-parser';

// jsonc-parser declares SyntaxKind as a const enum (which isolated modules cannot inline) and
// exports the same values at run time.
type TokenName = 'OpenBraceToken' | 'CloseBraceToken' | 'OpenBracketToken' | 'CloseBracketToken' | 'CommaToken' | 'StringLiteral' | 'EOF';
const SyntaxKind = (jsonc as unknown as { SyntaxKind: Record<TokenName, number> }).SyntaxKind;

/** One named value of a request, remembered the way it was sent. */
export interface Field {
  sentKey: string;
  /** JSON members keep their JSON value; query and form fields are text. */
  value: unknown;
  /** The exact text of the value: the JSON span, or the decoded query/form value. */
  text: string;
  isText: boolean;
  /** The name came more than once in this place (another casing, or a JSON member twice). */
  repeated?: boolean;
}

/** A request's fields from one place (body, query or form), looked up case-insensitively. */
export type FieldSource = Map<string, Field>;

/**
 * The first of a name given twice is kept and marked: binding refuses a repeated field, so the
 * text a signature covers and the value that is bound can never be two different members.
 */
function add(source: FieldSource, field: Field): void {
  const key = field.sentKey.toLowerCase();
  const known = source.get(key);
  if (known) known.repeated = true;
  else source.set(key, field);
}

/**
 * The top-level members of a JSON object (text JSON.parse has already accepted), with the exact
 * text of each value, found with jsonc-parser's token scanner: no tree is built for the nested
 * values, which only the signature needs, as text.
 */
export function fieldsOfJsonObject(text: string, parsed: Record<string, unknown>): FieldSource {
  const source: FieldSource = new Map();
  const scanner = jsonc.createScanner(text, true);
  if ((scanner.scan() as number) !== SyntaxKind.OpenBraceToken) return source;
  for (let token: number = scanner.scan(); token === SyntaxKind.StringLiteral; token = scanner.scan()) {
    const sentKey = scanner.getTokenValue();
    scanner.scan(); // the colon
    scanner.scan();
    const start = scanner.getTokenOffset();
    for (let depth = 0; ; scanner.scan()) {
      const kind: number = scanner.getToken();
      if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) depth += 1;
      else if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) depth -= 1;
      if (depth === 0 || kind === SyntaxKind.EOF) break;
    }
    const end = scanner.getTokenOffset() + scanner.getTokenLength();
    add(source, { sentKey, value: parsed[sentKey], text: text.slice(start, end), isText: false });
    if ((scanner.scan() as number) !== SyntaxKind.CommaToken) break;
  }
  return source;
}

/**
 * Query or form fields. As in ServiceStack, empty values are skipped and a name repeated with
 * the same spelling is joined with ','; one repeated under another casing is marked.
 */
export function fieldsOfParams(params: URLSearchParams): FieldSource {
  const joined = new Map<string, string[]>();
  for (const [key, value] of params) {
    if (value === '') continue;
    const values = joined.get(key) ?? [];
    values.push(value);
    joined.set(key, values);
  }
  const source: FieldSource = new Map();
  for (const [sentKey, values] of joined) {
    const text = values.join(',');
    add(source, { sentKey, value: text, text, isText: true });
  }
  return source;
}
