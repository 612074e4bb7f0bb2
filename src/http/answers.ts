import { REQUEST_DTO_NAME } from '../ipn/body';
import type { Refusal } from '../ipn/decode';
import type { FieldError } from '../ipn/field-errors';
import { describeOutcome, type CallbackOutcome, type CallbackResult } from '../ipn/outcome';
import { StoreUnavailableError } from '../ipn/ports';
import type { AnswerBody, ErrorResponse } from './formats/body';

/** What the service answers: a DTO written in the negotiated format, or fixed content. */
export type Answer =
  | { status: number; body: AnswerBody; headers?: Record<string, string> }
  | { status: number; content: string; contentType: string; headers?: Record<string, string> };

/** Echoed request values are cut to this many characters. */
const MAX_ECHOED = 200;
const echoed = (text: string): string => (text.length > MAX_ECHOED ? `${text.slice(0, MAX_ECHOED)}…` : text);

function error(status: number, errorCode: string, message: string, errors: FieldError[] = [], headers?: Record<string, string>): Answer {
  const dto: ErrorResponse = { ResponseStatus: { ErrorCode: errorCode, Message: message, Errors: errors } };
  return { status, body: { kind: 'error', dto }, headers };
}

function received(result: CallbackResult, success: boolean): Answer {
  return { status: 200, body: { kind: 'response', dto: { Message: describeOutcome(result), Success: success } } };
}

/** A 400 for fields that could not be bound: a value that does not parse wins, as in ServiceStack. */
function invalid(errors: FieldError[]): Answer {
  const binding = errors.find((entry) => entry.ErrorCode === 'SerializationException');
  const first = binding ?? errors[0];
  const message = binding ? `Unable to bind to request '${REQUEST_DTO_NAME}'` : (first?.Message ?? 'Invalid request');
  return error(400, first?.ErrorCode ?? 'SerializationException', message, errors);
}

function refused(refusal: Refusal): Answer {
  switch (refusal.kind) {
    case 'unsupported':
      return error(
        415,
        'UnsupportedMediaType',
        `Content-Type '${echoed(refusal.mediaType)}' is not supported; send application/json or application/x-www-form-urlencoded`,
      );
    case 'undeserializable':
      return problems.undeserializable(refusal.mediaType, refusal.detail);
    case 'invalid':
      return invalid(refusal.errors);
  }
}

/**
 * THE table: every outcome of the callback route, and the refusal behind the ones that are
 * refusals, to its HTTP answer. Everything understood and stored is 200 (Qvickly retries
 * anything else for months); an error only where a retry could help or the request is wrong.
 */
const ANSWERS: Record<CallbackOutcome, (result: CallbackResult, refusal: Refusal | undefined) => Answer> = {
  applied: (result) => received(result, true),
  duplicate: (result) => received(result, true),
  stale: (result) => received(result, true),
  conflict: (result) => received(result, true),
  unrecognised: (result) => received(result, false),
  unauthenticated: () => error(401, 'Unauthorized', 'The callback could not be authenticated'),
  booking_mismatch: (result) => error(409, 'Conflict', describeOutcome(result)),
  invalid: (result, refusal) => (refusal ? refused(refusal) : invalid([])),
  undeserializable: (result, refusal) => (refusal ? refused(refusal) : invalid([])),
  unsupported: (result, refusal) => (refusal ? refused(refusal) : invalid([])),
};

export function answerFor(result: CallbackResult, refusal?: Refusal): Answer {
  return ANSWERS[result.outcome](result, refusal);
}

/** Answers that are not a callback's outcome: the route, the transport, the store. */
export const problems = {
  notFound: (method: string, path: string) => error(404, 'NotFound', `No route matches ${echoed(method)} ${echoed(path)}`),
  methodNotAllowed: (method: string, allow: string) =>
    error(405, 'MethodNotAllowed', `${echoed(method)} is not allowed here; use ${allow}`, [], { Allow: allow }),
  payloadTooLarge: (limitBytes: number) => error(413, 'PayloadTooLarge', `The request body is larger than ${limitBytes} bytes`),
  undeserializable: (mediaType: string, detail: string) =>
    error(400, 'SerializationException', `Could not deserialize '${echoed(mediaType)}' request using ${REQUEST_DTO_NAME}\nError: ${detail}`),
  referenceNotBuilt: () => error(404, 'NotFound', 'The reference has not been built; run npm run build'),
  storeUnavailable: () => error(503, 'ServiceUnavailable', 'The callback could not be stored; retry later'),
  internal: () => error(500, 'InternalServerError', 'The callback could not be processed'),
};

/** An exception on the way to an answer: the store's 503, the body reader's 413 and 400, or a 500. */
export function answerForFailure(failure: unknown, bodyLimitBytes: number): Answer {
  if (failure instanceof StoreUnavailableError) return problems.storeUnavailable();
  const type = (failure as { type?: string } | null)?.type;
  if (type === 'entity.too.large') return problems.payloadTooLarge(bodyLimitBytes);
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return problems.undeserializable('request', 'the body ended before its Content-Length');
  }
  return problems.internal();
}
