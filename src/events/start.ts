import type { Registry } from 'prom-client';
import type { Config } from '../config';
import { createDispatcher, type AttemptReport, type Dispatcher } from '../delivery/dispatcher';
import type { Post } from '../delivery/http-post';
import { sendEvent } from '../delivery/send';
import type { EventLedger } from '../ipn/outbox-ports';
import { EventMetrics } from '../observability/event-metrics';
import type { Logger } from '../observability/logger';
import { eventDurations } from './config';

const ERROR_LOG_INTERVAL_MS = 60_000;
const PRUNE_INTERVAL_MS = 60 * 60_000;

/** What tests replace: the clock, the jitter, the HTTP transport. */
export interface EventParts {
  clock?: () => Date;
  random?: () => number;
  post?: Post;
}

/** Event delivery in one service instance. */
export interface EventDelivery {
  /** Undefined when EVENTS_WEBHOOK_URL is unset or EVENTS_CONCURRENCY is 0: events are recorded, not sent. */
  dispatcher: Dispatcher | undefined;
  /** Looks for due events now (after a commit that recorded some). */
  wake(): void;
  /** Stops sending (in-flight sends finish, at most timeoutMs) and pruning. */
  stop(timeoutMs: number): Promise<void>;
}

function logAttempt(logger: Logger, report: AttemptReport): void {
  const { event, attempt, outcome, nextAttemptAt, recorded } = report;
  const fields = {
    eventId: event.eventId,
    type: event.type,
    companyId: event.companyId,
    number: event.number,
    attempts: event.attempts + 1,
    statusCode: attempt.statusCode,
    durationMs: attempt.durationMs,
    ...(attempt.error ? { error: attempt.error } : {}),
    ...(nextAttemptAt ? { nextAttemptAt: nextAttemptAt.toISOString() } : {}),
  };
  if (!recorded) logger.warn(fields, 'event result not recorded: the lease was taken over or the store failed');
  else if (outcome === 'delivered') logger.debug(fields, 'event delivered');
  else if (outcome === 'retry') logger.warn(fields, 'event delivery failed; retrying later');
  else if (outcome === 'gone') logger.error(fields, 'event receiver answered 410 Gone: this event is not sent again');
  else logger.error(fields, 'event delivery failed for EVENTS_RETRY_FOR: given up, left for an operator');
}

/**
 * The dispatcher of one service instance, its metrics and log lines, and the pruning of
 * delivered events older than EVENTS_RETENTION (hourly). Metrics are served whether or not
 * this instance sends.
 */
export function startEventDelivery(config: Config, events: EventLedger, registry: Registry, logger: Logger, parts: EventParts = {}): EventDelivery {
  const clock = parts.clock ?? (() => new Date());
  const metrics = new EventMetrics(registry, events, clock);
  const { retryForMs, retentionMs } = eventDurations(config);
  let lastErrorLoggedAt = Number.NEGATIVE_INFINITY;
  const onError = (error: unknown): void => {
    // Once a minute at most: an unreachable database fails every poll.
    const now = Date.now();
    if (now - lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) return;
    lastErrorLoggedAt = now;
    logger.error({ err: error }, 'event delivery: the store failed; retrying at the next poll');
  };

  const prune = (): void => {
    events.pruneDelivered(new Date(clock().getTime() - retentionMs)).then(
      (pruned) => pruned > 0 && logger.info({ pruned }, 'delivered events pruned after EVENTS_RETENTION'),
      onError,
    );
  };
  prune();
  const pruning = setInterval(prune, PRUNE_INTERVAL_MS);
  pruning.unref();

  const { eventsWebhookUrl: url, eventsWebhookSecret: secret } = config;
  const dispatcher =
    url === undefined || secret === undefined || config.eventsConcurrency === 0
      ? undefined
      : createDispatcher({
          outbox: events,
          send: (event, now) => sendEvent({ url, secret, timeoutMs: config.eventsTimeoutMs, post: parts.post }, event, now),
          clock,
          random: parts.random ?? Math.random,
          concurrency: config.eventsConcurrency,
          leaseMs: config.eventsLeaseMs,
          pollIntervalMs: config.eventsPollIntervalMs,
          retryForMs,
          onAttempt: (report) => {
            metrics.attempted(report);
            logAttempt(logger, report);
          },
          onError,
        });
  dispatcher?.start();
  return {
    dispatcher,
    wake: () => dispatcher?.wake(),
    async stop(timeoutMs) {
      clearInterval(pruning);
      await dispatcher?.stop(timeoutMs);
    },
  };
}
