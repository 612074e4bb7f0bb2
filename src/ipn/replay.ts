import type { RequestDtoSchema } from './bind';
import { decodeCallback } from './decode';
import type { CallbackResult } from './outcome';
import type { CallbackStore, Delivery, InboxReader } from './ports';
import { receiveCallback } from './receive';

export type ReplayResult = { ok: true; result: CallbackResult } | { ok: false; problem: string };

export interface ReplayOptions {
  /** Decode the stored body as this Content-Type instead of the one it arrived with. */
  contentType?: string;
  now?: () => Date;
}

/**
 * Runs a stored callback through the same decoding and use case as a live one (for example
 * after its company's secret was configured). The replay is a new inbox row pointing at the
 * original; the original row is never changed. A duplicate is replayed from its first copy,
 * which holds the body.
 */
export async function replayCallback(
  schema: RequestDtoSchema,
  store: CallbackStore & InboxReader,
  callbackId: number,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const stored = await store.findCallback(callbackId);
  if (!stored) return { ok: false, problem: `No callback ${callbackId} in the inbox` };
  const original = stored.duplicateOf === null ? stored : await store.findCallback(stored.duplicateOf);
  if (!original) return { ok: false, problem: `Callback ${callbackId} repeats callback ${stored.duplicateOf}, which is no longer in the inbox` };
  const delivery: Delivery = {
    receivedAt: (options.now?.() ?? new Date()).toISOString(),
    contentType: options.contentType ?? original.contentType,
    contentEncoding: original.contentEncoding,
    query: original.query,
    body: original.body,
    remoteAddress: null,
  };
  const decoded = decodeCallback(schema, delivery);
  if (!decoded.ok) {
    const { refusal } = decoded;
    if (refusal.kind === 'invalid') return { ok: false, problem: refusal.errors.map((error) => error.Message).join('; ') };
    return { ok: false, problem: refusal.kind === 'unsupported' ? refusal.reason : `${refusal.mediaType}: ${refusal.detail}` };
  }
  return { ok: true, result: await receiveCallback(store, decoded.callback, delivery, stored.callbackId) };
}
