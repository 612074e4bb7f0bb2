import { performance } from 'node:perf_hooks';
import type { AttemptRecord, Verdict } from '../ipn/outbox-ports';
import { httpPost, type Post } from './http-post';
import { signEvent } from './sign';

export interface SendOptions {
  /** EVENTS_WEBHOOK_URL */
  url: string;
  /** EVENTS_WEBHOOK_SECRET: `whsec_` + base64 */
  secret: string;
  /** EVENTS_TIMEOUT_MS: for the whole exchange, from connecting to the end of the answer. */
  timeoutMs: number;
  /** How the request is made (tests replace it); node:http(s) with kept-alive connections. */
  post?: Post;
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
    const status = await (options.post ?? httpPost)(options.url, { 'content-type': 'application/json', ...headers }, event.body, options.timeoutMs);
    if (status >= 200 && status < 300) return record(status, null, 'delivered');
    return record(status, null, status === 410 ? 'gone' : 'retry');
  } catch (error) {
    return record(null, describe(error, options.timeoutMs), 'retry');
  }
}

// Duck-typed rather than `instanceof Error`: errors may come from another realm (a test
// runner's sandbox), where instanceof fails.
interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
}

function describe(error: unknown, timeoutMs: number): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, code } = error as ErrorLike;
  if (name === 'TimeoutError') return `timeout: no complete answer within ${timeoutMs} ms`;
  // node:net names the code in its message (connect ECONNREFUSED 127.0.0.1:8080), not always (socket hang up).
  if (typeof code === 'string' && !String(message).includes(code)) return `${code}: ${String(message)}`;
  return String(message);
}
