import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptReport } from '../delivery/dispatcher';
import { EVENT_STATES, type EventBacklog, type EventLedger } from '../ipn/outbox-ports';

const OUTCOMES = ['delivered', 'retry', 'failed', 'gone'] as const;

/**
 * Event delivery in /metrics, on the service's registry: attempts by outcome and the delivery
 * lag (recorded → delivered) of this instance, and the outbox by state and the age of its
 * oldest pending event, read from the store at each scrape (shared by every instance).
 */
export class EventMetrics {
  private readonly attempts: Counter<'outcome'>;
  private readonly lag: Histogram;

  constructor(registry: Registry, events: EventLedger, clock: () => Date = () => new Date()) {
    this.attempts = new Counter({
      name: 'qvickly_ipn_event_attempts_total',
      help: 'Delivery attempts of events by this instance, by what became of the event (retry: tried again later; failed: retried for EVENTS_RETRY_FOR; gone: the receiver answered 410)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    this.lag = new Histogram({
      name: 'qvickly_ipn_event_delivery_lag_seconds',
      help: 'Time from recording an event to its delivery, in seconds',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 21600, 86400],
      registers: [registry],
    });
    for (const outcome of OUTCOMES) this.attempts.inc({ outcome }, 0);

    // One store read per scrape serves both gauges.
    let reading: Promise<EventBacklog | undefined> | undefined;
    const backlog = () => {
      reading ??= events
        .backlog()
        .catch(() => undefined)
        .finally(() => setImmediate(() => (reading = undefined)));
      return reading;
    };
    new Gauge({
      name: 'qvickly_ipn_events',
      help: 'Events in the outbox by state (held: waiting for the confirmation with Qvickly)',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) for (const state of EVENT_STATES) this.set({ state }, read.byState[state]);
      },
    });
    new Gauge({
      name: 'qvickly_ipn_events_oldest_pending_seconds',
      help: 'How long the oldest pending event has been waiting for delivery (0 when none)',
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) this.set(read.oldestPendingAt === null ? 0 : Math.max(0, (clock().getTime() - Date.parse(read.oldestPendingAt)) / 1000));
      },
    });
  }

  attempted(report: AttemptReport): void {
    if (!report.recorded) return;
    this.attempts.inc({ outcome: report.outcome });
    if (report.outcome === 'delivered') {
      const finishedAt = Date.parse(report.attempt.attemptedAt) + report.attempt.durationMs;
      this.lag.observe(Math.max(0, (finishedAt - Date.parse(report.event.createdAt)) / 1000));
    }
  }
}
