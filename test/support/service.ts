import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config';
import type { ConfirmationParts } from '../../src/confirmation/start';
import type { EventParts } from '../../src/events/start';
import { loadContract, type Contract } from '../../src/contract';
import { startService } from '../../src/main';
import { createLogger } from '../../src/observability/logger';
import type { PaymentStore } from '../../src/store/types';
import { expectContractAnswer, type Answer } from './contract-check';

export interface TestService {
  url: string;
  /** The operations listener's URL, when the service was started with OPS_PORT. */
  opsUrl: string | undefined;
  store: PaymentStore;
  contract: Contract;
  /** Every log line the service wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Sends a request and checks the answer against the contract before returning it. */
  send(path: string, init?: RequestInit): Promise<Answer>;
  stop(): Promise<void>;
}

/** The real service (the composition root serve runs) on 127.0.0.1 with a free port, over the given store. */
export async function startTestService(
  store: PaymentStore,
  environment: Record<string, string> = {},
  confirmation?: ConfirmationParts,
  events?: EventParts,
): Promise<TestService> {
  const contract = await loadContract();
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config: Config = loadConfig({ HOST: '127.0.0.1', PORT: '0', SHUTDOWN_TIMEOUT_MS: '5000', ...environment });
  const service = await startService(config, { store, logger: createLogger('info', sink), confirmation, events });
  return {
    url: service.http.url,
    opsUrl: service.ops?.url,
    store,
    contract,
    logs,
    send: async (path, init) => {
      const response = await fetch(`${service.http.url}${path}`, init);
      const answer: Answer = { status: response.status, headers: response.headers, text: await response.text() };
      expectContractAnswer(contract, path, init?.method ?? 'GET', answer);
      return answer;
    },
    stop: () => service.stop(),
  };
}
