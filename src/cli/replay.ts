import type { Contract } from '../contract';
import { bindCallback } from '../http/bind';
import { fieldsOfParams } from '../http/fields';
import { acceptedMediaType, parseCallbackBody } from '../http/parse-body';
import { HttpProblem } from '../http/errors';
import type { CallbackResult } from '../ipn/outcome';
import { receiveCallback } from '../ipn/receive';
import type { PaymentStore } from '../store/types';

export type ReplayResult = { ok: true; result: CallbackResult } | { ok: false; problem: string };

/**
 * Runs a stored callback through the same binding and use case as a live one (for example
 * after its company's secret was configured). The replay is a new inbox row pointing at the
 * original; the original row is never changed.
 */
export async function replayCallback(contract: Contract, store: PaymentStore, callbackId: number): Promise<ReplayResult> {
  const stored = await store.findCallback(callbackId);
  if (!stored) return { ok: false, problem: `No callback ${callbackId} in the inbox` };
  try {
    const body = parseCallbackBody(stored.body, acceptedMediaType(stored.contentType ?? undefined));
    const bound = bindCallback(contract, {
      json: body.json,
      query: fieldsOfParams(new URLSearchParams(stored.query)),
      form: body.form,
    });
    if (!bound.ok) return { ok: false, problem: bound.errors.map((error) => error.Message).join('; ') };
    const delivery = {
      receivedAt: new Date().toISOString(),
      contentType: stored.contentType,
      query: stored.query,
      body: stored.body,
      remoteAddress: null,
    };
    return { ok: true, result: await receiveCallback(store, bound.callback, delivery, stored.callbackId) };
  } catch (error) {
    if (error instanceof HttpProblem) return { ok: false, problem: error.body.ResponseStatus.Message };
    throw error;
  }
}
