import { Command, InvalidArgumentError } from 'commander';

export interface BenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  prefill: number;
  duplicateShare: number;
  /** Sizes the pre-generated traffic: the fastest target is assumed to answer at most this. */
  maxRate: number;
  jsonFile: string | undefined;
  logLevel: string;
  /** NODE_OPTIONS for the full service only, to try V8 flags such as --max-semi-space-size. */
  serviceNodeOptions: string | undefined;
  seed: number;
  keep: boolean;
  smoke: boolean;
  /** How long the delivery-on run waits after its load for the event backlog to drain. */
  drainTimeoutS: number;
  /** The PostgreSQL server of the PostgreSQL target; undefined skips it. */
  postgresUrl: string | undefined;
}

function positive(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('must be a positive number');
  return number;
}

function nonNegative(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('must be a number >= 0');
  return number;
}

function count(value: string): number {
  const number = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError('must be a whole number >= 0');
  return number;
}

function share(value: string): number {
  const number = Number(value);
  if (!(number >= 0 && number < 1)) throw new InvalidArgumentError('must be in [0, 1)');
  return number;
}

export function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('bench')
    .description(
      'Throughput with durability: bare express, express + openapi-backend (framework ceiling) and the full service ' +
        '(SQLite, synchronous=FULL), each in its own process on 127.0.0.1, then the full service on PostgreSQL, then with event ' +
        'delivery on (to a local receiver), then with a prefilled store.',
    )
    .option('--duration <seconds>', 'measured load per target (default: 10, --smoke: 2)', positive)
    .option('--warmup <seconds>', 'unmeasured load per target before measuring (default: 2, --smoke: 0.5)', nonNegative)
    .option('--connections <n>', 'concurrent keep-alive connections', positive, 50)
    .option('--prefill <payments>', 'payments stored before the second full-service run, 0 skips it (default: 1000000, --smoke: 20000)', count)
    .option('--duplicates <share>', 'share of requests that repeat an earlier callback exactly', share, 0.2)
    .option('--max-rate <req/s>', 'highest rate expected from any target; sizes the pre-generated traffic', positive, 15_000)
    .option('--json <file>', 'also write the JSON report to this file')
    .option('--log-level <level>', "the full service's LOG_LEVEL", 'info')
    .option('--service-node-options <flags>', 'NODE_OPTIONS for the full service only, e.g. --max-semi-space-size=8')
    .option('--seed <n>', 'seed of the request mix', count, 20_261_101)
    .option('--drain-timeout <seconds>', 'longest wait for the event backlog after the delivery-on run (default: 60, --smoke: 30)', positive)
    .option('--postgres <url>', 'PostgreSQL server for the PostgreSQL target (a database is created and dropped); "off" skips it', 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--keep', 'keep the temporary directory (databases, server logs)', false)
    .option('--smoke', 'CI-sized: 2 s per target, 0.5 s warm-up, 20,000 prefilled payments unless given', false)
    .parse(argv);
  const raw = program.opts<{
    duration?: number;
    warmup?: number;
    connections: number;
    prefill?: number;
    duplicates: number;
    maxRate: number;
    json?: string;
    logLevel: string;
    serviceNodeOptions?: string;
    seed: number;
    keep: boolean;
    smoke: boolean;
    drainTimeout?: number;
    postgres: string;
  }>();
  return {
    durationS: raw.duration ?? (raw.smoke ? 2 : 10),
    warmupS: raw.warmup ?? (raw.smoke ? 0.5 : 2),
    connections: Math.trunc(raw.connections),
    prefill: raw.prefill ?? (raw.smoke ? 20_000 : 1_000_000),
    duplicateShare: raw.duplicates,
    maxRate: raw.maxRate,
    jsonFile: raw.json,
    logLevel: raw.logLevel,
    serviceNodeOptions: raw.serviceNodeOptions,
    seed: raw.seed,
    keep: raw.keep,
    smoke: raw.smoke,
    drainTimeoutS: raw.drainTimeout ?? (raw.smoke ? 30 : 60),
    postgresUrl: raw.postgres === 'off' ? undefined : raw.postgres,
  };
}
