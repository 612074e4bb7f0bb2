import contentType from 'content-type';
import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { fieldsOfJsonObject, fieldsOfParams, type FieldSource } from './fields';

/** What a callback's body carried: JSON members or form fields. */
export interface ParsedBody {
  json: FieldSource;
  form: FieldSource;
}

/** Why a body could not be read at all; the callback is stored and answered 415 or 400. */
export type BodyRefusal =
  | { kind: 'unsupported'; mediaType: string; reason: string }
  | { kind: 'undeserializable'; mediaType: string; detail: string };

export type BodyResult = { ok: true; body: ParsedBody } | { ok: false; refusal: BodyRefusal };

/** The request DTO's name, which ServiceStack's messages use. */
export const REQUEST_DTO_NAME = 'QvicklyCheckoutIpnCallBack';

// PHP's json_decode refuses deeper documents, so Qvickly cannot have signed one.
const MAX_JSON_DEPTH = 512;
const MAX_ECHOED_TYPE = 100;
const FORM = 'application/x-www-form-urlencoded';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * JSON types as ServiceStack registers them, structured `+json` types, and text/plain: Qvickly
 * does not document its Content-Type, and a JSON body labelled as text is still JSON.
 */
function isJsonType(type: string): boolean {
  return (
    type === 'application/json' ||
    type === 'text/json' ||
    type === 'text/plain' ||
    (type.startsWith('application/') && type.endsWith('+json'))
  );
}

/** The media type of a Content-Type header; undefined when there is none. */
function mediaTypeOf(header: string | null): { ok: true; type: string | undefined } | { ok: false; refusal: BodyRefusal } {
  if (header === null || header.trim() === '') return { ok: true, type: undefined };
  try {
    return { ok: true, type: contentType.parse(header).type };
  } catch {
    const shown = header.slice(0, MAX_ECHOED_TYPE);
    return { ok: false, refusal: { kind: 'unsupported', mediaType: shown, reason: `Content-Type '${shown}' cannot be parsed` } };
  }
}

/**
 * Decodes a callback body: JSON (also without a Content-Type), or a form whose `data` and
 * `credentials` fields are JSON strings. A form without them whose text is a JSON object is
 * read as JSON, as Billmate's own receivers do. Anything else is refused, never thrown.
 */
export function parseCallbackBody(request: { contentType: string | null; contentEncoding: string | null; body: Buffer }): BodyResult {
  const media = mediaTypeOf(request.contentType);
  if (!media.ok) return media;
  const mediaType = media.type;
  if (mediaType !== undefined && !isJsonType(mediaType) && mediaType !== FORM) {
    return { ok: false, refusal: { kind: 'unsupported', mediaType, reason: `Content-Type '${mediaType}' is not supported` } };
  }
  const encoding = request.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    const shown = encoding.slice(0, MAX_ECHOED_TYPE);
    return { ok: false, refusal: { kind: 'unsupported', mediaType: 'Content-Encoding', reason: `Content-Encoding '${shown}' is not supported` } };
  }
  if (request.body.length === 0) return { ok: true, body: { json: new Map(), form: new Map() } };
  const label = mediaType ?? 'application/json';
  let text: string;
  try {
    text = utf8.decode(request.body);
  } catch {
    return undeserializable(label, 'the body is not valid UTF-8');
  }
  if (mediaType === FORM) {
    const form = fieldsOfParams(new URLSearchParams(text));
    if (form.has('data') || form.has('credentials') || !text.trimStart().startsWith('{')) {
      return { ok: true, body: { json: new Map(), form } };
    }
  }
  return parseJsonBody(text, label);
}

function undeserializable(mediaType: string, detail: string): BodyResult {
  return { ok: false, refusal: { kind: 'undeserializable', mediaType, detail } };
}

function parseJsonBody(text: string, mediaType: string): BodyResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undeserializable(mediaType, describeJsonError(text));
  }
  if (depthOf(parsed) > MAX_JSON_DEPTH) {
    return undeserializable(mediaType, `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const start = text.trimStart().slice(0, 50);
    return undeserializable(
      mediaType,
      `Type definitions should start with a '{', expecting serialized type '${REQUEST_DTO_NAME}', got string starting with: ${start}`,
    );
  }
  return { ok: true, body: { json: fieldsOfJsonObject(text, parsed as Record<string, unknown>), form: new Map() } };
}

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

function describeJsonError(text: string): string {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  return first ? `${printParseErrorCode(first.error)} at position ${first.offset}` : 'the body is not valid JSON';
}
