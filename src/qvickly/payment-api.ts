import { unavailable, type PaymentInfoAnswer, type QvicklyUnavailable } from './payment-info-answer';
import { readPaymentInfo } from './read-payment-info';
import { getPaymentinfoRequestBody, type QvicklyAccount } from './request';
import { readSignedAnswer } from './signed-answer';

export type { QvicklyAccount } from './request';
export type {
  PaymentApiErrorAnswer,
  PaymentInfo,
  PaymentInfoAnswer,
  PaymentInfoFound,
  QvicklyUnavailable,
  UnavailableReason,
} from './payment-info-answer';

export interface QvicklyPaymentApiOptions {
  /** The Payment API's URL, `https://api.qvickly.io/` (or the sandbox's). */
  baseUrl: string;
  /** For the whole exchange: connecting, the answer's headers and its body. */
  timeoutMs: number;
  /** Names this integration to Qvickly in `credentials.client`. */
  client?: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface QvicklyPaymentApi {
  /**
   * What Qvickly says about payment `number` now. Never throws for anything Qvickly (or the
   * network) does: an answer that cannot be believed is `unavailable`, with the reason. A
   * `signal` that aborts ends the exchange at once (`unavailable`, reason `aborted`).
   */
  getPaymentInfo(account: QvicklyAccount, number: string, options?: { signal?: AbortSignal }): Promise<PaymentInfoAnswer>;
}

const DEFAULT_CLIENT = 'qvickly-ipn';

export function createQvicklyPaymentApi(options: QvicklyPaymentApiOptions): QvicklyPaymentApi {
  const url = new URL(options.baseUrl).toString();
  const { timeoutMs } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number, not ${timeoutMs}`);
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const client = options.client ?? DEFAULT_CLIENT;

  return {
    async getPaymentInfo(account, number, callOptions = {}) {
      if (number === '') throw new TypeError('a payment number is required');
      const body = getPaymentinfoRequestBody(account, number, { client, time: now() });
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = callOptions.signal ? AbortSignal.any([timeout, callOptions.signal]) : timeout;
      let text: string;
      try {
        const response = await send(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body,
          signal,
          // Qvickly answers every call with 200 itself; a redirect means the URL is wrong.
          redirect: 'manual',
        });
        if (response.status !== 200) {
          await response.body?.cancel().catch(() => undefined);
          return unavailable('http-status', `HTTP ${response.status}`);
        }
        text = await response.text();
      } catch (error) {
        if (callOptions.signal?.aborted) return unavailable('aborted', 'the caller stopped waiting');
        return failedExchange(error, signal, timeoutMs);
      }
      const answer = readSignedAnswer(account.secret, text);
      return answer.kind === 'verified' ? readPaymentInfo(answer.data) : answer;
    },
  };
}

function failedExchange(error: unknown, signal: AbortSignal, timeoutMs: number): QvicklyUnavailable {
  if (signal.aborted) return unavailable('timeout', `no complete answer within ${timeoutMs} ms`);
  // Duck-typed: fetch's errors come from Node's realm, which need not be the caller's.
  const { message, cause } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; cause?: { code?: unknown } };
  const text = typeof message === 'string' ? message : String(error);
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return unavailable('transport', code ? `${text} (${code})` : text);
}
