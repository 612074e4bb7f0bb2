import contentType from 'content-type';
import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { REQUEST_DTO_NAME } from './formats/dto';
import { problems } from './errors';
import { fieldsOfJsonObject, fieldsOfParams, type FieldSource } from './fields';

/** What the callback's body carried: JSON members or form fields, and Qvickly's envelope. */
export interface ParsedBody {
  json: FieldSource;
  form: FieldSource;
  /** `{credentials, data, …}` as JSON values, for the contract's request body schema. */
  envelope: Record<string, unknown>;
}

// PHP's json_decode refuses deeper documents, so Qvickly cannot have signed one.
const MAX_JSON_DEPTH = 512;

/** How deeply arrays and objects nest in a parsed JSON value (walked without recursion). */
function depthOf(root: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[root, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (value === null || typeof value !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return deepest;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** JSON types, as ServiceStack registers them, plus structured `+json` types. */
function isJsonType(type: string): boolean {
  return type === 'application/json' || type === 'text/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * The body's media type, checked before the body is read: JSON types, a form, or none
 * (Qvickly does not document its header, so a body without one is read as JSON). Anything
 * else is 415.
 */
export function acceptedMediaType(contentTypeHeader: string | undefined): string | undefined {
  const mediaType = mediaTypeOf(contentTypeHeader);
  if (mediaType !== undefined && !isJsonType(mediaType) && mediaType !== 'application/x-www-form-urlencoded') {
    throw problems.unsupportedMediaType(mediaType);
  }
  return mediaType;
}

/**
 * Decodes a callback body of an accepted media type. A form carries `data` and `credentials`
 * as JSON strings; a form without them whose text is a JSON object is read as JSON, as
 * Billmate's own receivers do.
 */
export function parseCallbackBody(raw: Buffer, mediaType: string | undefined): ParsedBody {
  if (raw.length === 0) return { json: new Map(), form: new Map(), envelope: {} };
  const label = mediaType ?? 'application/json';
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw problems.undeserializable(label, 'the body is not valid UTF-8');
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    const form = fieldsOfParams(new URLSearchParams(text));
    if (form.has('data') || form.has('credentials') || !text.trimStart().startsWith('{')) {
      return { json: new Map(), form, envelope: envelopeOfForm(form) };
    }
  }
  return parseJsonBody(text, label);
}

function mediaTypeOf(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  try {
    return contentType.parse(header).type;
  } catch {
    throw problems.unsupportedMediaType(header.slice(0, 100));
  }
}

function parseJsonBody(text: string, mediaType: string): ParsedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw problems.undeserializable(mediaType, describeJsonError(text));
  }
  if (depthOf(parsed) > MAX_JSON_DEPTH) {
    throw problems.undeserializable(mediaType, `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const start = text.trimStart().slice(0, 50);
    throw problems.undeserializable(
      mediaType,
      `Type definitions should start with a '{', expecting serialized type '${REQUEST_DTO_NAME}', got string starting with: ${start}`,
    );
  }
  const object = parsed as Record<string, unknown>;
  return { json: fieldsOfJsonObject(text, object), form: new Map(), envelope: object };
}

function describeJsonError(text: string): string {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  return first ? `${printParseErrorCode(first.error)} at position ${first.offset}` : 'the body is not valid JSON';
}

/** The form's JSON-string fields decoded into Qvickly's envelope; undecodable text stays text. */
function envelopeOfForm(form: FieldSource): Record<string, unknown> {
  const envelope: Record<string, unknown> = {};
  for (const name of ['credentials', 'data']) {
    const field = form.get(name);
    if (!field) continue;
    try {
      envelope[name] = JSON.parse(field.text);
    } catch {
      envelope[name] = field.text;
    }
  }
  return envelope;
}
