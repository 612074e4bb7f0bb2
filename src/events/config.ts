import { assertWebhookSecret } from '../delivery/sign';
import { parseDuration } from '../secrets/duration';

/** The configuration of event delivery to the booking system (part of Config, read by src/config.ts). */
export interface EventSettings {
  /** Where events are POSTed; unset = events are recorded, nothing is sent. */
  eventsWebhookUrl: string | undefined;
  /** The Standard Webhooks secret (`whsec_` + base64) events are signed with. */
  eventsWebhookSecret: string | undefined;
  eventsTimeoutMs: number;
  /** Sends in flight at once in this instance; 0 = this instance does not send. */
  eventsConcurrency: number;
  /** How long after its first attempt an event is retried, as a duration (`3d`). */
  eventsRetryFor: string;
  /** How long delivered events are kept, as a duration (`30d`); failed ones are kept. */
  eventsRetention: string;
  eventsPollIntervalMs: number;
  /** How long a leased event is this instance's; at least twice EVENTS_TIMEOUT_MS. */
  eventsLeaseMs: number;
}

const DURATION = { type: 'string', minLength: 2, maxLength: 20 } as const;

export const EVENT_ENVIRONMENT = {
  EVENTS_WEBHOOK_URL: { key: 'eventsWebhookUrl', schema: { type: 'string', minLength: 1, maxLength: 2048 }, default: undefined },
  EVENTS_WEBHOOK_SECRET: { key: 'eventsWebhookSecret', schema: { type: 'string', minLength: 1, maxLength: 1024 }, default: undefined },
  EVENTS_TIMEOUT_MS: { key: 'eventsTimeoutMs', schema: { type: 'integer', minimum: 100, maximum: 300000 }, default: 10000 },
  EVENTS_CONCURRENCY: { key: 'eventsConcurrency', schema: { type: 'integer', minimum: 0, maximum: 256 }, default: 8 },
  EVENTS_RETRY_FOR: { key: 'eventsRetryFor', schema: DURATION, default: '3d' },
  EVENTS_RETENTION: { key: 'eventsRetention', schema: DURATION, default: '30d' },
  EVENTS_POLL_INTERVAL_MS: { key: 'eventsPollIntervalMs', schema: { type: 'integer', minimum: 10, maximum: 3600000 }, default: 500 },
  EVENTS_LEASE_MS: { key: 'eventsLeaseMs', schema: { type: 'integer', minimum: 1000, maximum: 86400000 }, default: 60000 },
} as const;

/** EVENTS_RETRY_FOR and EVENTS_RETENTION in milliseconds (after eventProblems found none). */
export function eventDurations(settings: EventSettings): { retryForMs: number; retentionMs: number } {
  return { retryForMs: parseDuration(settings.eventsRetryFor), retentionMs: parseDuration(settings.eventsRetention) };
}

/** What the schema cannot say: the URL, the secret, the durations, one setting against another. */
export function eventProblems(settings: EventSettings): string[] {
  const problems: string[] = [];
  for (const [name, value] of [['EVENTS_RETRY_FOR', settings.eventsRetryFor], ['EVENTS_RETENTION', settings.eventsRetention]] as const) {
    try {
      parseDuration(value);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  if (settings.eventsLeaseMs < 2 * settings.eventsTimeoutMs) {
    // The lease covers the send, recording its result and any pause of the process: a lease
    // that runs out mid-send lets another instance send the event again.
    problems.push('EVENTS_LEASE_MS must be at least twice EVENTS_TIMEOUT_MS (a lease must outlast a delivery attempt and its recording)');
  }
  if (settings.eventsWebhookUrl === undefined) {
    if (settings.eventsWebhookSecret !== undefined) problems.push('EVENTS_WEBHOOK_SECRET is set but EVENTS_WEBHOOK_URL is not');
    return problems;
  }
  let url: URL | undefined;
  try {
    url = new URL(settings.eventsWebhookUrl);
  } catch {
    problems.push('EVENTS_WEBHOOK_URL must be an absolute URL');
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('EVENTS_WEBHOOK_URL must be an http or https URL');
  if (settings.eventsWebhookSecret === undefined) {
    problems.push('EVENTS_WEBHOOK_SECRET is required with EVENTS_WEBHOOK_URL (a Standard Webhooks secret: whsec_ + base64)');
  } else {
    try {
      assertWebhookSecret(settings.eventsWebhookSecret);
    } catch {
      problems.push('EVENTS_WEBHOOK_SECRET must be "whsec_" followed by the base64 of the key');
    }
  }
  return problems;
}
