import type { Context } from 'openapi-backend';
import type { Contract } from '../contract';
import { describeOutcome, type CallbackResult } from '../ipn/outcome';
import { receiveCallback, recordInvalidCallback, type UnboundClaims } from '../ipn/receive';
import type { PaymentStore } from '../store/types';
import type { Answer } from './answer';
import { bindCallback, type CallbackSources } from './bind';
import { problems } from './errors';
import { deliveryOf, type Exchange } from './exchange';
import type { ResponseError } from './formats/dto';
import { toResponseErrors } from './validation-errors';

const NO_CLAIMS: UnboundClaims = { companyId: null, bookingId: null, articleTypeId: null, number: null, status: null };

/** The callback operations: bind the request, run the IPN use case, turn its outcome into an answer. */
export function callbackHandlers(contract: Contract, store: PaymentStore) {
  async function refuse(exchange: Exchange, errors: ResponseError[], claims: UnboundClaims): Promise<never> {
    const problem = problems.invalidRequest(errors);
    const reason = errors.map((error) => error.Message).join('; ').slice(0, 1000);
    exchange.result = await recordInvalidCallback(store, deliveryOf(exchange), claims, reason);
    throw problem;
  }

  async function receive(_context: Context, exchange: Exchange): Promise<Answer> {
    const bound = bindCallback(contract, sourcesOf(exchange));
    if (!bound.ok) return refuse(exchange, bound.errors, bound.claims);
    exchange.result = await receiveCallback(store, bound.callback, deliveryOf(exchange));
    return answerFor(exchange.result);
  }

  /**
   * The contract refused the request's parameters or envelope. The bound DTO is checked too,
   * so that one answer lists every field that is wrong, not just the first place checked.
   */
  async function validationFail(context: Context, exchange: Exchange): Promise<Answer> {
    const nameOf = ([place = '', first = '', ...rest]: string[]): string => {
      const source = place === 'query' ? exchange.query : place === 'requestBody' ? exchange.body?.json : undefined;
      return [source?.get(first.toLowerCase())?.sentKey ?? first, ...rest].filter(Boolean).join('.');
    };
    const errors = toResponseErrors(context.validation.errors ?? [], validatedParts(context), nameOf);
    const bound = bindCallback(contract, sourcesOf(exchange));
    const more = bound.ok ? [] : bound.errors.filter((error) => !errors.some((known) => known.FieldName === error.FieldName));
    return refuse(exchange, [...errors, ...more], bound.ok ? NO_CLAIMS : bound.claims);
  }

  /** The router matches templates loosely (`ipncallback_json` fits `ipncallback.{format}`). */
  const onCallbackRouteOnly =
    (handler: (context: Context, exchange: Exchange) => Promise<Answer>) =>
    (context: Context, exchange: Exchange, req: { method: string; originalUrl: string }): Promise<Answer> => {
      if (!exchange.route.isCallbackRoute) throw problems.notFound(req.method, req.originalUrl.split('?')[0] ?? '');
      return handler(context, exchange);
    };

  return {
    QvicklyCheckoutIpnCallBack: onCallbackRouteOnly(receive),
    QvicklyCheckoutIpnCallBackWithFormat: onCallbackRouteOnly(receive),
    validationFail: onCallbackRouteOnly(validationFail),
  };
}

function sourcesOf(exchange: Exchange): CallbackSources {
  return { json: exchange.body?.json ?? new Map(), query: exchange.query, form: exchange.body?.form ?? new Map() };
}

/** The object openapi-backend validated, so error messages can quote the offending value. */
function validatedParts(context: Context): unknown {
  return { query: context.request.query, requestBody: context.request.requestBody, path: context.request.params };
}

function answerFor(result: CallbackResult): Answer {
  const message = describeOutcome(result);
  switch (result.outcome) {
    case 'unauthenticated':
      throw problems.unauthenticated();
    case 'booking_mismatch':
      throw problems.boundElsewhere(message);
    case 'invalid':
      // receiveCallback only sees bound callbacks; an invalid one never gets this far.
      throw problems.internal();
    case 'unrecognised':
      return { status: 200, body: { kind: 'response', dto: { Message: message, Success: false } } };
    default:
      return { status: 200, body: { kind: 'response', dto: { Message: message, Success: true } } };
  }
}
