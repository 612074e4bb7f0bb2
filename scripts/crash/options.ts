import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { StoreEngine } from '../../src/store/types';

/** The crash test's command line (see scripts/crash-test.ts). */
export interface Options {
  engine: StoreEngine;
  rounds: number;
  seed: number;
  loadMs: number;
  concurrency: number;
  payments: number;
  postgresUrl: string;
  keep: boolean;
  /** How long the last restart may take to deliver every recorded event. */
  drainMs: number;
  /** Share of event deliveries the receiver answers 500, so they are retried (2.5–5 s later). */
  receiverFailures: number;
}

export function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      store: { type: 'string', default: 'sqlite' },
      rounds: { type: 'string', default: '5' },
      seed: { type: 'string' },
      'load-ms': { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '8' },
      payments: { type: 'string', default: '150' },
      'postgres-url': { type: 'string', default: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      keep: { type: 'boolean', default: false },
      'drain-ms': { type: 'string', default: '60000' },
      'receiver-failures': { type: 'string', default: '0.05' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const integer = (name: string, text: string | undefined, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return value;
  };
  const share = (text: string | undefined): number => {
    const value = Number(text);
    if (!(value >= 0 && value < 1)) throw new Error('--receiver-failures must be a number in [0, 1)');
    return value;
  };
  if (values.store !== 'sqlite' && values.store !== 'postgres') throw new Error('--store must be sqlite or postgres');
  return {
    engine: values.store,
    rounds: integer('rounds', values.rounds, 1, 100),
    seed: values.seed === undefined ? randomBytes(4).readUInt32BE() : integer('seed', values.seed, 0, 2 ** 32 - 1),
    loadMs: integer('load-ms', values['load-ms'], 100, 60_000),
    concurrency: integer('concurrency', values.concurrency, 1, 64),
    payments: integer('payments', values.payments, 1, 100_000),
    postgresUrl: values['postgres-url'] ?? '',
    keep: values.keep ?? false,
    drainMs: integer('drain-ms', values['drain-ms'], 1000, 600_000),
    receiverFailures: share(values['receiver-failures']),
  };
}

const USAGE = `node dist/scripts/crash-test.js [options]   (npm run crash-test -- [options])

  --store sqlite|postgres     the engine (default sqlite)
  --rounds N                  load rounds, each ended by SIGKILL (default 5)
  --seed S                    replays a run's traffic and kill moments (default random)
  --load-ms MS                longest load per round; each is killed after 30-100 % of it (default 1500)
  --concurrency N             concurrent senders (default 8)
  --payments N                payments the traffic is spread over (default 150)
  --postgres-url URL          server to create the test database on (default TEST_POSTGRES_URL or 127.0.0.1:5432)
  --drain-ms MS               longest wait, after the last restart, for every event to reach the receiver (default 60000)
  --receiver-failures SHARE   share of event deliveries the receiver answers 500, so they are retried (default 0.05)
  --keep                      keep the database`;

