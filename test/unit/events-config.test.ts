import { loadConfig } from '../../src/config';
import { eventDurations } from '../../src/events/config';

const SECRET = `whsec_${Buffer.from('a key the booking system holds').toString('base64')}`;

describe('the event delivery settings', () => {
  it('default to no receiver, a 10 s timeout, 8 sends at once, 500 ms polls, 60 s leases, retries for 3 days and 30 days of delivered events', () => {
    const config = loadConfig({});
    expect({
      url: config.eventsWebhookUrl,
      secret: config.eventsWebhookSecret,
      timeout: config.eventsTimeoutMs,
      concurrency: config.eventsConcurrency,
      poll: config.eventsPollIntervalMs,
      lease: config.eventsLeaseMs,
      durations: eventDurations(config),
    }).toEqual({
      url: undefined,
      secret: undefined,
      timeout: 10_000,
      concurrency: 8,
      poll: 500,
      lease: 60_000,
      durations: { retryForMs: 3 * 86_400_000, retentionMs: 30 * 86_400_000 },
    });
  });

  it('accept a lease of exactly twice the timeout', () => {
    expect(loadConfig({ EVENTS_TIMEOUT_MS: '30000' }).eventsLeaseMs).toBe(60_000);
  });

  it('read the receiver, its secret and durations such as 12h and 2w from the environment', () => {
    const config = loadConfig({ EVENTS_WEBHOOK_URL: 'https://bookings.example/webhooks', EVENTS_WEBHOOK_SECRET: SECRET, EVENTS_RETRY_FOR: '12h', EVENTS_RETENTION: '2w' });
    expect([config.eventsWebhookUrl, config.eventsWebhookSecret, eventDurations(config)]).toEqual([
      'https://bookings.example/webhooks',
      SECRET,
      { retryForMs: 12 * 3_600_000, retentionMs: 14 * 86_400_000 },
    ]);
  });

  it.each([
    [{ EVENTS_WEBHOOK_URL: 'https://bookings.example/webhooks' }, 'EVENTS_WEBHOOK_SECRET is required with EVENTS_WEBHOOK_URL'],
    [{ EVENTS_WEBHOOK_SECRET: SECRET }, 'EVENTS_WEBHOOK_SECRET is set but EVENTS_WEBHOOK_URL is not'],
    [{ EVENTS_WEBHOOK_URL: 'https://bookings.example/', EVENTS_WEBHOOK_SECRET: 'plain-text' }, 'EVENTS_WEBHOOK_SECRET must be "whsec_" followed by the base64 of the key'],
    [{ EVENTS_WEBHOOK_URL: 'bookings.example', EVENTS_WEBHOOK_SECRET: SECRET }, 'EVENTS_WEBHOOK_URL must be an absolute URL'],
    [{ EVENTS_WEBHOOK_URL: 'ftp://bookings.example/', EVENTS_WEBHOOK_SECRET: SECRET }, 'EVENTS_WEBHOOK_URL must be an http or https URL'],
    [{ EVENTS_RETRY_FOR: '3 days' }, 'EVENTS_RETRY_FOR: invalid duration "3 days"'],
    [{ EVENTS_RETENTION: '1y' }, 'EVENTS_RETENTION: invalid duration "1y"'],
    [{ EVENTS_TIMEOUT_MS: '30001' }, 'EVENTS_LEASE_MS must be at least twice EVENTS_TIMEOUT_MS'],
    [{ EVENTS_CONCURRENCY: '-1' }, 'EVENTS_CONCURRENCY must be >= 0'],
  ])('refuse %p at start: %s', (environment, problem) => {
    expect(() => loadConfig(environment)).toThrow(problem);
  });
});
