import { fieldsOfJsonObject } from '../ipn/fields';
import { verifySignature } from '../ipn/signature';
import { unavailable, type QvicklyUnavailable } from './payment-info-answer';

type Json = Record<string, unknown>;

/** An answer whose `data` Qvickly signed with the merchant's secret. */
export interface VerifiedAnswer {
  kind: 'verified';
  data: Json;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an answer of the Payment API and checks its signature: `credentials.hash` must be the
 * HMAC of the exact text of the top-level `data` (as Qvickly's own Node and Perl samples check
 * it) or of its PHP re-encoding (what PHP clients check, and what survives an intermediary that
 * re-serialised the JSON). Anything else is not believed.
 */
export function readSignedAnswer(secret: string, text: string): VerifiedAnswer | QvicklyUnavailable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unavailable('unparsable', `the answer is not JSON (${text.length} characters)`);
  }
  if (!isObject(parsed)) return unavailable('unexpected-shape', 'the answer is not a JSON object');
  const credentials = parsed.credentials;
  const hash = isObject(credentials) ? credentials.hash : undefined;
  if (typeof hash !== 'string' || hash === '') return unavailable('unsigned', 'the answer has no credentials.hash');
  // The scanner keeps the first of a repeated member while JSON.parse keeps the last: with two
  // `data` members the signed text and the parsed value could differ, so neither is believed.
  const data = fieldsOfJsonObject(text, parsed).get('data');
  if (!data || data.sentKey !== 'data' || data.repeated || !isObject(data.value)) {
    return unavailable('unexpected-shape', 'the answer has no single data object');
  }
  if (!verifySignature([secret], hash, data.text).valid) {
    return unavailable('bad-signature', 'credentials.hash does not match the answer\'s data');
  }
  return { kind: 'verified', data: data.value };
}
