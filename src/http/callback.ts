import type { Request } from 'express';
import type { RequestDtoSchema } from '../ipn/bind';
import { decodeCallback } from '../ipn/decode';
import type { CallbackResult } from '../ipn/outcome';
import type { CallbackStore, Delivery } from '../ipn/ports';
import { receiveCallback, recordRefusal } from '../ipn/receive';
import { answerFor, type Answer } from './answers';
import { readBody } from './read-body';

/** Everything the transport learns about one request before it is answered. */
export interface Exchange {
  receivedAt: Date;
  startedAt: bigint;
  rawQuery: string;
  suffix: string | undefined;
  remoteAddress: string | undefined;
  /** Set once the callback is stored, for the request log and metrics. */
  result?: CallbackResult;
}

export interface CallbackDependencies {
  schema: RequestDtoSchema;
  store: CallbackStore;
  bodyLimitBytes: number;
}

const MAX_HEADER_KEPT = 255;
const header = (value: string | string[] | undefined): string | null =>
  value === undefined ? null : (Array.isArray(value) ? value.join(', ') : value).slice(0, MAX_HEADER_KEPT);

/**
 * The callback operation: read the body, keep the delivery, decode it, and either record the
 * refusal or run the use case; both are stored before the answer is chosen from the one table.
 */
export function receiveCallbackRequest(deps: CallbackDependencies) {
  return async (exchange: Exchange, req: Request): Promise<Answer> => {
    const delivery: Delivery = {
      receivedAt: exchange.receivedAt.toISOString(),
      contentType: header(req.headers['content-type']),
      contentEncoding: header(req.headers['content-encoding']),
      query: exchange.rawQuery,
      body: await readBody(req, deps.bodyLimitBytes),
      remoteAddress: exchange.remoteAddress ?? null,
    };
    const decoded = decodeCallback(deps.schema, delivery);
    if (!decoded.ok) {
      exchange.result = await recordRefusal(deps.store, delivery, decoded.refusal, decoded.claims);
      return answerFor(exchange.result, decoded.refusal);
    }
    exchange.result = await receiveCallback(deps.store, decoded.callback, delivery);
    return answerFor(exchange.result);
  };
}
