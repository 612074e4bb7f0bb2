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
 * Calls `visit` with each top-level member of a JSON object (text JSON.parse has already
 * accepted) and the exact text of its value, found with jsonc-parser's token scanner: no tree
 * is built for nested values.
 */
function forEachMember(text: string, visit: (key: string, valueText: string) => void): void {
  const scanner = jsonc.createScanner(text, true);
  if ((scanner.scan() as number) !== SyntaxKind.OpenBraceToken) return;
  for (let token: number = scanner.scan(); token === SyntaxKind.StringLiteral; token = scanner.scan()) {
    const key = scanner.getTokenValue();
    scanner.scan(); // the colon
    scanner.scan();
    const start = scanner.getTokenOffset();
    for (let depth = 0; ; scanner.scan()) {
      const kind: number = scanner.getToken();
      if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) depth += 1;
      else if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) depth -= 1;
      if (depth === 0 || kind === SyntaxKind.EOF) break;
    }
    visit(key, text.slice(start, scanner.getTokenOffset() + scanner.getTokenLength()));
    if ((scanner.scan() as number) !== SyntaxKind.CommaToken) break;
  }
}

/** The top-level members of a JSON object, with the exact text of each value. */
export function fieldsOfJsonObject(text: string, parsed: Record<string, unknown>): FieldSource {
  const source: FieldSource = new Map();
  forEachMember(text, (sentKey, valueText) => add(source, { sentKey, value: parsed[sentKey], text: valueText, isText: false }));
  return source;
}

/**
 * The text of a member's value as sent, for the last member of that exact name (the one
 * JSON.parse and PHP's json_decode keep). A number is read from here, never through a
 * JavaScript number, which would round integers beyond 2^53.
 */
export function memberText(objectText: string, name: string): string | undefined {
  let found: string | undefined;
  forEachMember(objectText, (key, valueText) => {
    if (key === name) found = valueText;
  });
  return found;
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
