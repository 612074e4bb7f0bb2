import { performance } from 'node:perf_hooks';
import type { AttemptRecord, Verdict } from '../ipn/outbox-ports';
import { signEvent } from './sign';

export interface SendOptions {
  /** EVENTS_WEBHOOK_URL */
  url: string;
  /** EVENTS_WEBHOOK_SECRET: `whsec_` + base64 */
  secret: string;
  /** EVENTS_TIMEOUT_MS: for the whole exchange, from connecting to the end of the answer. */
  timeoutMs: number;
  fetch?: typeof globalThis.fetch;
}

/** The part of an event that goes on the wire: the id (`webhook-id`) and the stored body. */
export interface EventToSend {
  eventId: string;
  body: string;
}

/**
 * POSTs one event, signed for this attempt, and says what the answer means: 2xx delivered,
 * 410 gone, anything else retry. Redirects are not followed (a 3xx is retried: the signed
 * request must reach the configured URL). An answer counts only once its body has been read
 * to the end, so a connection dropped mid-answer is retried. Never throws.
 */
export async function sendEvent(options: SendOptions, event: EventToSend, now: Date): Promise<AttemptRecord> {
  const started = performance.now();
  const record = (statusCode: number | null, error: string | null, verdict: Verdict): AttemptRecord => ({
    attemptedAt: now.toISOString(),
    statusCode,
    durationMs: Math.round(performance.now() - started),
    error,
    verdict,
  });
  try {
    const headers = signEvent(options.secret, event.eventId, now, event.body);
    const response = await (options.fetch ?? fetch)(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: event.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await drain(response);
    const status = response.status;
    if (status >= 200 && status < 300) return record(status, null, 'delivered');
    return record(status, null, status === 410 ? 'gone' : 'retry');
  } catch (error) {
    return record(null, describe(error, options.timeoutMs), 'retry');
  }
}

/** Reads the answer to its end without keeping it: the receiver's body means nothing here. */
async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) return;
  }
}

// Duck-typed rather than `instanceof Error`: fetch's errors may come from another realm
// (a test runner's sandbox), where instanceof fails.
interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

function describe(error: unknown, timeoutMs: number): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, cause } = error as ErrorLike;
  if (name === 'TimeoutError') return `timeout: no complete answer within ${timeoutMs} ms`;
  if (typeof cause === 'object' && cause !== null) {
    const { code, message: causeMessage } = cause as ErrorLike;
    return `${String(message)}: ${typeof code === 'string' ? `${code} ` : ''}${String(causeMessage)}`;
  }
  return String(message);
}
