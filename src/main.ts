import { loadConfig, type Config } from './config';
import { startConfirmations, type ConfirmationParts } from './confirmation/start';
import type { ConfirmationWorker } from './confirmation/worker';
import { loadContract } from './contract';
import { startEventDelivery, type EventDelivery, type EventParts } from './events/start';
import { ALL_OPERATIONS, createApp, type OperationsEndpoint } from './http/app';
import { listen, type RunningServer } from './http/server';
import { createLogger, flushLogs, type Logger } from './observability/logger';
import { CallbackMetrics } from './observability/metrics';
import { openConfiguredStore } from './store/from-config';
import { VIEW_CHANGED, type CallbackStore } from './ipn/ports';
import type { PaymentStore } from './store/types';

export interface Service {
  http: RunningServer;
  /** The operations listener, when OPS_PORT is set. */
  ops: RunningServer | undefined;
  store: PaymentStore;
  logger: Logger;
  /** Confirmation with Qvickly in this instance; undefined with CONFIRMATION_CONCURRENCY=0. */
  confirmations: ConfirmationWorker | undefined;
  /** Event delivery to the booking system in this instance. */
  events: EventDelivery;
  /** Graceful stop: in-flight callbacks are answered and committed, then the store closes. */
  stop(): Promise<void>;
}

export interface ServiceParts {
  logger?: Logger;
  /** A store opened by the caller (tests), which then also closes it. */
  store?: PaymentStore;
  /** Qvickly, the clock and the jitter of confirmation (tests). */
  confirmation?: ConfirmationParts;
  /** The clock, the jitter and fetch of event delivery (tests). */
  events?: EventParts;
}

/** The store as the callback route uses it: a settle that recorded events wakes the dispatcher. */
function wakingOnEvents(store: PaymentStore, events: EventDelivery): CallbackStore {
  return {
    viewCallback: (companyId, number) => store.viewCallback(companyId, number),
    settle: async (settlement) => {
      const result = await store.settle(settlement);
      if (result !== VIEW_CHANGED && (settlement.events?.length ?? 0) > 0) events.wake();
      return result;
    },
  };
}

const OPS_ENDPOINTS: readonly OperationsEndpoint[] = ['getHealth', 'getMetrics'];

/** The composition root: config -> store -> contract -> apps -> listening servers. */
export async function startService(config: Config, parts: ServiceParts = {}): Promise<Service> {
  const logger = parts.logger ?? createLogger(config.logLevel);
  const store = parts.store ?? (await openConfiguredStore(config));
  const metrics = new CallbackMetrics();
  const events = startEventDelivery(config, store.events, metrics.registry, logger, parts.events);
  const callbackStore = wakingOnEvents(store, events);
  const separateOps = config.opsPort !== undefined;
  const app = async (callbacks: boolean, operations: readonly OperationsEndpoint[]) =>
    createApp({
      contract: await loadContract(),
      store,
      callbackStore,
      metrics,
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      callbacks,
      operations,
    });
  const publicOperations = separateOps ? ALL_OPERATIONS.filter((id) => !OPS_ENDPOINTS.includes(id)) : ALL_OPERATIONS;
  const http = await listen(await app(true, publicOperations), config.host, config.port, config);
  const ops = config.opsPort === undefined ? undefined : await listen(await app(false, OPS_ENDPOINTS), config.opsHost, config.opsPort, config);
  const confirmations = startConfirmations(config, store, metrics.registry, logger, parts.confirmation);
  let stopping: Promise<void> | undefined;
  return {
    http,
    ops,
    store,
    logger,
    confirmations,
    events,
    stop: () => {
      stopping ??= (async () => {
        await Promise.all([http.stop(), ops?.stop(), confirmations?.stop(config.shutdownTimeoutMs), events.stop(config.shutdownTimeoutMs)]);
        if (!parts.store) await store.close();
        logger.info('qvickly-ipn stopped');
      })();
      return stopping;
    },
  };
}

/** Runs the service until SIGTERM or SIGINT. */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const service = await startService(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      service.logger.info({ signal }, 'shutting down');
      service.stop().then(
        () => flushLogs(service.logger).then(() => process.exit(0)),
        (error: unknown) => {
          service.logger.error({ err: error }, 'shutdown failed');
          void flushLogs(service.logger).then(() => process.exit(1));
        },
      );
    });
  }
  // Announced only once a SIGTERM would be handled gracefully.
  service.logger.info({ url: service.http.url, opsUrl: service.ops?.url, store: service.store.engine }, 'qvickly-ipn listening');
}
