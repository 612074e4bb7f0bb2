import type { Delivery } from '../store/types';
import type { CallbackResult } from '../ipn/outcome';
import type { FieldSource } from './fields';
import type { ResponseFormat } from './formats/dto';
import type { ParsedBody } from './parse-body';

/** Where a request is going, decided from its path alone. */
export interface RouteMatch {
  /** The path handed to the contract's router. */
  apiPath: string;
  isCallbackRoute: boolean;
  /** The text after the route's last '.', as sent. */
  suffix: string | undefined;
  /** A route suffix that names no format: the route does not exist. */
  unknownSuffix: boolean;
}

/** Everything the transport learns about one request, passed to the operation handlers. */
export interface Exchange {
  route: RouteMatch;
  format: ResponseFormat;
  receivedAt: Date;
  startedAt: bigint;
  rawQuery: string;
  query: FieldSource;
  contentType: string | undefined;
  /** The accepted body media type (undefined: no Content-Type, read as JSON). */
  mediaType?: string;
  remoteAddress: string | undefined;
  body?: ParsedBody;
  rawBody?: Buffer;
  /** Set once the callback is stored, for the request log and metrics. */
  result?: CallbackResult;
}

/** The request as the inbox keeps it. */
export function deliveryOf(exchange: Exchange): Delivery {
  return {
    receivedAt: exchange.receivedAt.toISOString(),
    contentType: exchange.contentType?.slice(0, 255) ?? null,
    query: exchange.rawQuery,
    body: exchange.rawBody ?? Buffer.alloc(0),
    remoteAddress: exchange.remoteAddress ?? null,
  };
}
