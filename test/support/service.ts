import { Writable } from 'node:stream';
import { loadContract, type Contract } from '../../src/contract';
import { createApp } from '../../src/http/app';
import { listen, type RunningServer } from '../../src/http/server';
import { createLogger } from '../../src/observability/logger';
import { CallbackMetrics } from '../../src/observability/metrics';
import type { PaymentStore } from '../../src/store/types';
import { expectContractAnswer, type Answer } from './contract-check';

export interface TestService {
  url: string;
  store: PaymentStore;
  contract: Contract;
  /** Every log line the service wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Sends a request and checks the answer against the contract before returning it. */
  send(path: string, init?: RequestInit): Promise<Answer>;
  stop(): Promise<void>;
}

/** The real app on 127.0.0.1 with a free port, over the given store. */
export async function startTestService(
  store: PaymentStore,
  options: { bodyLimitBytes?: number; clock?: () => Date } = {},
): Promise<TestService> {
  const contract = await loadContract();
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = createApp({
    contract,
    store,
    metrics: new CallbackMetrics(),
    logger: createLogger('info', sink),
    bodyLimitBytes: options.bodyLimitBytes ?? 65536,
    clock: options.clock,
  });
  const server: RunningServer = await listen(app, '127.0.0.1', 0, {
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5000,
    shutdownTimeoutMs: 5000,
  });
  return {
    url: server.url,
    store,
    contract,
    logs,
    send: async (path, init) => {
      const response = await fetch(`${server.url}${path}`, init);
      const answer: Answer = {
        status: response.status,
        headers: response.headers,
        text: await response.text(),
      };
      expectContractAnswer(contract, path, init?.method ?? 'GET', answer);
      return answer;
    },
    stop: () => server.stop(),
  };
}
