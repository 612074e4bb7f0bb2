import { loadConfig, type Config } from './config';
import { loadContract } from './contract';
import { createApp } from './http/app';
import { listen, type RunningServer } from './http/server';
import { createLogger, flushLogs, type Logger } from './observability/logger';
import { CallbackMetrics } from './observability/metrics';
import { openStore } from './store/open';
import type { PaymentStore } from './store/types';

export interface Service {
  http: RunningServer;
  store: PaymentStore;
  logger: Logger;
  /** Graceful stop: in-flight callbacks are answered and committed, then the store closes. */
  stop(): Promise<void>;
}

/** The composition root: config -> store -> contract -> app -> listening server. */
export async function startService(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Service> {
  const store = await openStore({ databaseUrl: config.databaseUrl, rejectedCallbackCap: config.rejectedCallbackCap });
  const contract = await loadContract();
  const app = createApp({ contract, store, metrics: new CallbackMetrics(), logger, bodyLimitBytes: config.bodyLimitBytes });
  const http = await listen(app, config.host, config.port, config);
  let stopping: Promise<void> | undefined;
  return {
    http,
    store,
    logger,
    stop: () => {
      stopping ??= (async () => {
        await http.stop();
        await store.close();
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
  service.logger.info({ url: service.http.url, store: service.store.engine }, 'qvickly-ipn listening');
}

if (require.main === module) {
  serve().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
