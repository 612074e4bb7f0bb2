import type { Node } from 'jsonc-parser';

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

/** The top-level members of a JSON object, with the exact text of each value. */
export function fieldsOfJsonObject(root: Node, parsed: Record<string, unknown>, text: string): FieldSource {
  const source: FieldSource = new Map();
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (!keyNode || !valueNode) continue;
    const sentKey = String(keyNode.value);
    add(source, {
      sentKey,
      value: parsed[sentKey],
      text: text.slice(valueNode.offset, valueNode.offset + valueNode.length),
      isText: false,
    });
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
