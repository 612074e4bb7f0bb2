import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { PaymentInfoSource } from '../ipn/confirmation-ports';
import type { Logger } from '../observability/logger';
import { ConfirmationMetrics } from '../observability/confirmation-metrics';
import { createQvicklyPaymentApi } from '../qvickly/payment-api';
import type { RetryWindow } from '../retry/backoff';
import type { PaymentStore } from '../store/types';
import { logCheck } from './log';
import { createConfirmationWorker, type ConfirmationWorker } from './worker';

const ERROR_LOG_INTERVAL_MS = 60_000;

/** What tests replace: Qvickly, the clock, the jitter. */
export interface ConfirmationParts {
  qvickly?: PaymentInfoSource;
  clock?: () => Date;
  random?: () => number;
}

export function retryWindowOf(config: Config): RetryWindow {
  return { firstDelayMs: config.confirmationRetryFirstMs, maxDelayMs: config.confirmationRetryMaxMs, retryForMs: config.confirmationRetryForMs };
}

export function qvicklyOf(config: Config): PaymentInfoSource {
  return createQvicklyPaymentApi({ baseUrl: config.qvicklyApiUrl, timeoutMs: config.qvicklyApiTimeoutMs });
}

/**
 * The confirmation worker of one service instance, with its metrics and log lines; started at
 * once. Undefined when CONFIRMATION_CONCURRENCY is 0 (the backlog gauges are served anyway).
 */
export function startConfirmations(
  config: Config,
  store: PaymentStore,
  registry: Registry,
  logger: Logger,
  parts: ConfirmationParts = {},
): ConfirmationWorker | undefined {
  const clock = parts.clock ?? (() => new Date());
  const metrics = new ConfirmationMetrics(registry, store.confirmations, clock);
  if (config.confirmationConcurrency === 0) return undefined;
  let lastErrorLoggedAt = Number.NEGATIVE_INFINITY;
  const worker = createConfirmationWorker({
    store: store.confirmations,
    qvickly: parts.qvickly ?? qvicklyOf(config),
    clock,
    random: parts.random ?? Math.random,
    retry: retryWindowOf(config),
    concurrency: config.confirmationConcurrency,
    leaseMs: config.confirmationLeaseMs,
    pollIntervalMs: config.confirmationPollIntervalMs,
    onCheck: (report) => {
      metrics.checked(report);
      logCheck(logger, report);
    },
    onError: (error) => {
      // Once a minute at most: an unreachable database fails every poll.
      const now = Date.now();
      if (now - lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) return;
      lastErrorLoggedAt = now;
      logger.error({ err: error }, 'confirmation with Qvickly: the store failed; retrying at the next poll');
    },
  });
  worker.start();
  return worker;
}
