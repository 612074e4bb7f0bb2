import { bindCallback, claimsOfSources, type BoundCallback, type RequestDtoSchema } from './bind';
import { parseCallbackBody, type BodyRefusal } from './body';
import type { FieldError } from './field-errors';
import { fieldsOfParams } from './fields';
import type { CallbackClaims } from './ports';

/** A delivery as the decoder needs it: what was sent, not when or by whom. */
export interface EncodedCallback {
  contentType: string | null;
  contentEncoding: string | null;
  query: string;
  body: Buffer;
}

/** Why a delivery is not a callback that can be authenticated: stored, then answered 415 or 400. */
export type Refusal = BodyRefusal | { kind: 'invalid'; errors: FieldError[] };

export type Decoded =
  | { ok: true; callback: BoundCallback }
  | { ok: false; refusal: Refusal; claims: CallbackClaims };

const NO_FIELDS = new Map();

/**
 * From a delivery, live or stored, to a bound callback or the reason there is none: the body
 * decoded by its content type, its fields merged with the query's as ServiceStack binds them,
 * and the result validated against the contract's request DTO. HTTP and `inbox replay` both
 * come through here.
 */
export function decodeCallback(schema: RequestDtoSchema, encoded: EncodedCallback): Decoded {
  const query = fieldsOfParams(new URLSearchParams(encoded.query));
  const parsed = parseCallbackBody(encoded);
  if (!parsed.ok) {
    return { ok: false, refusal: parsed.refusal, claims: claimsOfSources(schema, { json: NO_FIELDS, query, form: NO_FIELDS }) };
  }
  const bound = bindCallback(schema, { json: parsed.body.json, query, form: parsed.body.form });
  if (!bound.ok) return { ok: false, refusal: { kind: 'invalid', errors: bound.errors }, claims: bound.claims };
  return bound;
}
