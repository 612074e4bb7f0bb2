#!/usr/bin/env node
/**
 * Crash test: is every acknowledged callback still there after the process is killed?
 *
 *   node dist/scripts/crash-test.js --store sqlite|postgres --rounds N --seed S
 *
 * Starts the built service on a fresh database, drives signed callbacks at it from several
 * concurrent senders (many payments; random statuses, repeats and out-of-order arrivals),
 * kills it with SIGKILL at a random moment, restarts it on the same database, and so on for N
 * rounds. Then it reads the database through the store API and checks that every callback
 * answered 200 is in the inbox, that every acknowledged decision is in its payment's history,
 * and that every history replays through the apply rule to the payment's stored state.
 *
 * Each service round also delivers payment events to a verifying webhook receiver run here
 * (answering 500 to --receiver-failures of the requests). After the last kill the service is
 * started once more, without load, until the outbox has drained (at most --drain-ms); then
 * every acknowledged `applied` callback must have had its `payment.status_changed` event
 * delivered at least once, every recorded event must have arrived, and each payment's events
 * must have first arrived in the order they were recorded (scripts/crash/events.ts).
 *
 * The seed fixes what is sent and when each round is killed; thread timing does the rest.
 * Prints the figures as text and as one JSON line; exits 1 on any violation, 2 if it could not run.
 */
import { KNOWN_STATUSES } from '../src/ipn/status';
import { seededRandom } from './support/random';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { callbackUrl, signCallback } from '../src/client/sign';
import { categorize, decide, type PaymentState } from '../src/ipn/status';
import { projectRoot } from '../src/paths';
import { generateKey, readKeyFile } from '../src/secrets/key-file';
import { openStore } from '../src/store/open';
import type { PaymentWithHistory } from '../src/ipn/ports';
import type { StoreEngine } from '../src/store/types';
import { checkEvents, describeEvents, eventEnvironment, snapshotOutbox, waitForDrain, type EventFigures } from './crash/events';
import { killedBackendsGone } from './crash/settled';
import { startVerifyingReceiver, type VerifyingReceiver } from './support/webhook-receiver';

interface Options {
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

function readOptions(argv: string[]): Options {
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

/** Other spellings of known statuses, and statuses the receiver does not know (answered 200 Success:false). */
const ODD_STATUSES = ['paid', 'CANCELLED', 'pending', 'Sent', 'Unknown'];

// ---------------------------------------------------------------------------------------------
// The database under test

interface Database {
  url: string;
  describe: string;
  remove(): Promise<void>;
}

async function createDatabase(options: Options): Promise<Database> {
  if (options.engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-crash-'));
    const file = path.join(dir, 'store.sqlite');
    return { url: `sqlite:${file}`, describe: file, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `qvickly_ipn_crash_${randomBytes(6).toString('hex')}`;
  await adminQuery(options.postgresUrl, `CREATE DATABASE ${name}`);
  const url = new URL(options.postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    describe: `PostgreSQL database ${name}`,
    remove: () => adminQuery(options.postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The service as a child process

const BUILT_CLI = path.join(projectRoot, 'dist', 'src', 'cli', 'main.js');
// The key sealing the company's secret, shared by the setup, every service round and the check.
const KEY_FILE = path.join(mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-crash-key-')), 'secrets.key');
writeFileSync(KEY_FILE, `${generateKey()}\n`, { mode: 0o600 });
const START_TIMEOUT_MS = 20_000;

interface RunningService {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
  /** The last lines it wrote, for a report when something goes wrong. */
  tail: string[];
}

let current: ChildProcess | undefined;
/** Removes the database; set while one exists, so an interrupted run does not leave it behind. */
let removeOnInterrupt: (() => Promise<void>) | undefined;

function startService(databaseUrl: string, extraEnv: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, [BUILT_CLI, 'serve'], {
    cwd: projectRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: databaseUrl, SECRETS_KEY_FILE: KEY_FILE, LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  current = child;
  const tail: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the service did not start in ${START_TIMEOUT_MS} ms:\n${tail.join('\n')}`));
    }, START_TIMEOUT_MS);
    let listening = false;
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (listening || !line.includes('qvickly-ipn listening')) return;
      listening = true;
      clearTimeout(timer);
      resolve({ child, url: (JSON.parse(line) as { url: string }).url, exited, tail });
    };
    // Read everything it writes: a full pipe would block the service.
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString('utf8')).split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    void exited.then(() => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`the service exited before listening:\n${tail.join('\n')}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Traffic

type Outcome = 'applied' | 'duplicate' | 'stale' | 'conflict' | 'unrecognised';

interface PaymentPlan {
  number: string;
  bookingId: string;
  articleTypeId: number;
  /** Statuses already sent for this payment, to repeat. */
  sent: string[];
}

interface PlannedCallback {
  payment: PaymentPlan;
  status: string;
  encoding: 'json' | 'form';
}

interface Acknowledged {
  number: string;
  status: string;
  outcome: Outcome;
  round: number;
}

/** The Message of a 200 answer says what the service did (describeOutcome's sentences). */
function outcomeOf(message: string): Outcome | undefined {
  if (/^Payment .* is now .*$/.test(message)) return 'applied';
  if (message.startsWith('Callback already received for payment ')) return 'duplicate';
  if (message.endsWith(' was recorded for review but not applied')) return 'conflict';
  if (message.endsWith(' was recorded but not applied')) return 'stale';
  if (message.startsWith('Unrecognised payment status ')) return 'unrecognised';
  return undefined;
}

class Traffic {
  readonly acknowledged: Acknowledged[] = [];
  readonly violations: string[] = [];
  sent = 0;
  unanswered = 0;
  unavailable = 0;
  private readonly payments: PaymentPlan[];

  constructor(
    private readonly random: () => number,
    private readonly company: { companyId: string; secret: string },
    options: Options,
  ) {
    this.payments = Array.from({ length: options.payments }, (_, index) => ({
      number: `${options.seed}-${index}`,
      bookingId: `booking-${index}`,
      articleTypeId: 1 + (index % 3),
      sent: [],
    }));
  }

  get numbers(): string[] {
    return this.payments.map((payment) => payment.number);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  /** The next callback of the plan; the plan depends on the seed only, not on answers or timing. */
  private next(): PlannedCallback {
    const payment = this.pick(this.payments);
    const roll = this.random();
    let status: string;
    if (payment.sent.length > 0 && roll < 0.3) status = this.pick(payment.sent);
    else if (roll < 0.36) status = this.pick(ODD_STATUSES);
    else status = this.pick(KNOWN_STATUSES);
    if (!payment.sent.includes(status)) payment.sent.push(status);
    return { payment, status, encoding: this.random() < 0.2 ? 'form' : 'json' };
  }

  /** One sender: callbacks one after another until told to stop. */
  async sender(baseUrl: string, round: number, stop: { stopped: boolean }): Promise<void> {
    while (!stop.stopped) {
      const { payment, status, encoding } = this.next();
      const signed = signCallback(this.company.secret, { number: payment.number, status, orderid: `order-${payment.number}`, url: '' });
      // The signed callback URL BokaMera gives Qvickly for the checkout.
      const url = callbackUrl({ secret: this.company.secret, companyId: this.company.companyId, bookingId: payment.bookingId, articleTypeId: payment.articleTypeId, base: '' });
      this.sent += 1;
      let status200: { message: string } | undefined;
      try {
        const response = await fetch(`${baseUrl}${url}`, {
          method: 'POST',
          headers: { 'Content-Type': encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
          body: encoding === 'form' ? signed.formBody : signed.jsonBody,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status === 200) status200 = { message: (JSON.parse(text) as { Message: string }).Message };
        else if (response.status === 503) this.unavailable += 1;
        else this.violations.push(`round ${round}: ${payment.number} ${status} was answered ${response.status}: ${text.slice(0, 200)}`);
      } catch {
        // Killed mid-request, or refused while down: not acknowledged, so nothing is promised.
        this.unanswered += 1;
        continue;
      }
      if (!status200) continue;
      const outcome = outcomeOf(status200.message);
      if (!outcome) {
        this.violations.push(`round ${round}: ${payment.number} ${status}: unexpected 200 message '${status200.message}'`);
        continue;
      }
      this.acknowledged.push({ number: payment.number, status, outcome, round });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks, through the store API

interface CheckFigures {
  acknowledgedChecked: number;
  paymentsChecked: number;
  inboxRows: number;
  historyEntries: number;
}

const key = (number: string, status: string): string => `${number}\u0000${status}`;

async function checkStore(
  databaseUrl: string,
  companyId: string,
  numbers: readonly string[],
  acknowledged: readonly Acknowledged[],
  violations: string[],
): Promise<CheckFigures> {
  const store = await openStore({ databaseUrl, retention: { rows: 10_000, bytes: 256 * 1024 * 1024 }, secretsKey: readKeyFile(KEY_FILE) });
  try {
    const inbox = await store.listCallbacks({ companyId, limit: 10_000_000 });
    const payments = new Map<string, PaymentWithHistory>();
    for (const number of numbers) {
      const payment = await store.findPayment(companyId, number);
      if (payment) payments.set(number, payment);
    }

    // 1. Every 200 has its inbox row: per distinct callback, no more 200s than rows.
    const rowsPerCallback = countBy(inbox, (row) => key(row.number ?? '', row.status ?? ''));
    const acksPerCallback = countBy(acknowledged, (ack) => key(ack.number, ack.status));
    for (const [callback, acks] of acksPerCallback) {
      const rows = rowsPerCallback.get(callback) ?? 0;
      if (rows < acks) violations.push(`${callback.replace('\u0000', ' ')}: ${acks} answers 200 but ${rows} inbox rows`);
    }
    for (const row of inbox) {
      if (!row.authentic || !['applied', 'duplicate', 'stale', 'conflict', 'unrecognised'].includes(row.outcome)) {
        violations.push(`inbox row ${row.callbackId} is ${row.outcome} (authentic: ${row.authentic}); only authentic callbacks were sent`);
      }
    }

    // 2. Every acknowledged decision is in its payment's history, with the answered outcome.
    for (const ack of acknowledged) {
      const history = payments.get(ack.number)?.history ?? [];
      const entries = history.filter((entry) => entry.status === ack.status);
      if (ack.outcome === 'unrecognised') {
        if (categorize(ack.status) !== undefined) violations.push(`${ack.number} ${ack.status}: a known status was answered as unrecognised`);
        if (entries.length > 0) violations.push(`${ack.number} ${ack.status}: unrecognised, yet in the history`);
      } else if (ack.outcome === 'duplicate') {
        if (entries.length === 0) violations.push(`${ack.number} ${ack.status}: answered duplicate, but its original is not in the history`);
      } else if (!entries.some((entry) => entry.outcome === ack.outcome)) {
        violations.push(
          `${ack.number} ${ack.status}: answered ${ack.outcome} in round ${ack.round}, ` +
            `history has ${JSON.stringify(entries.map((entry) => entry.outcome))}`,
        );
      }
    }

    // 3. Inbox and history were written together: each decision row has its history entry and back.
    const rowsById = new Map(inbox.map((row) => [row.callbackId, row]));
    const decisionRows = inbox.filter((row) => ['applied', 'stale', 'conflict'].includes(row.outcome));
    const historyIds = new Set<number>();
    let historyEntries = 0;
    for (const [number, payment] of payments) {
      const statuses = new Set<string>();
      for (const entry of payment.history) {
        historyEntries += 1;
        historyIds.add(entry.callbackId);
        const row = rowsById.get(entry.callbackId);
        if (!row || row.number !== number || row.status !== entry.status || row.outcome !== entry.outcome) {
          violations.push(
            `${number}: history entry for callback ${entry.callbackId} (${entry.status}, ${entry.outcome}) has no matching inbox row`,
          );
        }
        // The same signed data reaches the apply rule once: later copies are duplicates.
        if (statuses.has(entry.status)) violations.push(`${number}: ${entry.status} is in the history twice`);
        statuses.add(entry.status);
      }
      // 4. The history replays through the apply rule, and the payment is its last applied entry.
      violations.push(...replayViolations(number, payment));
    }
    for (const row of decisionRows) {
      if (!historyIds.has(row.callbackId)) {
        violations.push(`inbox row ${row.callbackId} (${row.number} ${row.status}, ${row.outcome}) is missing from the history`);
      }
    }
    const numbersWithDecisions = new Set(decisionRows.map((row) => row.number));
    for (const number of numbersWithDecisions) {
      if (number !== null && !payments.has(number)) violations.push(`${number}: decisions in the inbox but no payment`);
    }

    return { acknowledgedChecked: acknowledged.length, paymentsChecked: payments.size, inboxRows: inbox.length, historyEntries };
  } finally {
    await store.close();
  }
}

function replayViolations(number: string, payment: PaymentWithHistory): string[] {
  const found: string[] = [];
  let state: PaymentState | undefined;
  const held = new Set<string>();
  for (const entry of payment.history) {
    const expected = decide(state, entry, held);
    held.add(entry.status.toLowerCase());
    if (expected !== entry.outcome) {
      const after = state?.status ?? 'nothing';
      found.push(`${number}: ${entry.status} is ${entry.outcome} in the history, the apply rule says ${expected} after ${after}`);
    }
    if (entry.outcome === 'applied') state = { status: entry.status, category: entry.category };
  }
  if (!state || state.status !== payment.status || state.category !== payment.category) {
    const lastApplied = state ? `${state.status}/${state.category}` : 'nothing';
    found.push(`${number}: stored as ${payment.status}/${payment.category}, last applied is ${lastApplied}`);
  }
  return found;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2));
  const started = Date.now();
  const random = seededRandom(options.seed);
  // Bounded whatever happens: a hung start or check ends the run instead of the CI job.
  const budgetMs = (options.rounds + 1) * (options.loadMs + START_TIMEOUT_MS + 5000) + options.drainMs + 60_000;
  const watchdog = setTimeout(() => {
    console.error(`crash test: over its ${budgetMs} ms budget; stopping`);
    current?.kill('SIGKILL');
    process.exit(2);
  }, budgetMs);
  watchdog.unref();

  // Its own random numbers: when it answers 500 depends on timing, and must not change the plan.
  const receiver = await startVerifyingReceiver({ failShare: options.receiverFailures, random: seededRandom((options.seed ^ 0x9e3779b9) >>> 0) });
  const serviceEnv = eventEnvironment(receiver);
  const database = await createDatabase(options);
  let removeDatabase = !options.keep;
  if (removeDatabase) removeOnInterrupt = database.remove;
  try {
    const company = { companyId: uuidFrom(random), secret: `crash-secret-${options.seed}` };
    const setup = await openStore({ databaseUrl: database.url, retention: { rows: 10_000, bytes: 256 * 1024 * 1024 }, secretsKey: readKeyFile(KEY_FILE) });
    await setup.changeCompany({ companyId: company.companyId, secret: company.secret, now: new Date().toISOString() });
    await setup.close();

    const traffic = new Traffic(random, company, options);
    let roundsCompleted = 0;
    for (let round = 1; round <= options.rounds; round++) {
      let service: RunningService;
      try {
        service = await startService(database.url, serviceEnv);
      } catch (error) {
        traffic.violations.push(`round ${round}: the service did not come back after the crash: ${(error as Error).message}`);
        break;
      }
      const killAfterMs = Math.round(options.loadMs * (0.3 + 0.7 * random()));
      const stop = { stopped: false };
      const senders = Array.from({ length: options.concurrency }, () => traffic.sender(service.url, round, stop));
      await delay(killAfterMs);
      service.child.kill('SIGKILL');
      stop.stopped = true;
      await Promise.all([service.exited, ...senders]);
      roundsCompleted += 1;
    }
    current = undefined;

    const violations = traffic.violations;
    // Read nothing before the killed instance's last transactions have landed or been dropped.
    await killedBackendsGone(database.url);
    const events = await drainEvents(database.url, company.companyId, traffic, receiver, serviceEnv, options.drainMs);
    const figures = await checkStore(database.url, company.companyId, traffic.numbers, traffic.acknowledged, violations);
    const outcomes = Object.fromEntries(countBy(traffic.acknowledged, (ack) => ack.outcome));
    const summary = {
      crashTest: true,
      engine: options.engine,
      seed: options.seed,
      rounds: options.rounds,
      roundsCompleted,
      sent: traffic.sent,
      acknowledged: traffic.acknowledged.length,
      unanswered: traffic.unanswered,
      unavailable: traffic.unavailable,
      ...figures,
      outcomes,
      events,
      violations: violations.length,
      durationMs: Date.now() - started,
    };
    console.log(
      `crash test (${options.engine}, seed ${options.seed}): ${roundsCompleted}/${options.rounds} rounds killed with SIGKILL and restarted; ` +
        `${traffic.sent} callbacks sent, ${traffic.acknowledged.length} acknowledged (200), ${traffic.unanswered} unanswered, ` +
        `${traffic.unavailable} answered 503; checked ${figures.acknowledgedChecked} acknowledged callbacks against ` +
        `${figures.inboxRows} inbox rows and ${figures.historyEntries} history entries of ${figures.paymentsChecked} payments; ` +
        `${violations.length} violations`,
    );
    console.log(`  ${describeEvents(events)}`);
    for (const violation of violations.slice(0, 50)) console.log(`  violation: ${violation}`);
    if (violations.length > 50) console.log(`  ... and ${violations.length - 50} more`);
    if (violations.length > 0) {
      removeDatabase = false;
      removeOnInterrupt = undefined;
      console.log(`  the database is kept for inspection: ${database.describe}`);
      console.log(`  replay with: node dist/scripts/crash-test.js --store ${options.engine} --rounds ${options.rounds} --seed ${options.seed}`);
    }
    console.log(JSON.stringify(summary));
    return violations.length > 0 ? 1 : 0;
  } finally {
    current?.kill('SIGKILL');
    removeOnInterrupt = undefined;
    if (removeDatabase) await database.remove();
    await receiver.close();
    clearTimeout(watchdog);
  }
}

/**
 * After the last kill: reads what the outbox holds, starts the service once more without load
 * until every recorded event has reached the receiver (at most `drainMs`), stops it, and checks
 * the deliveries (violations go to traffic.violations).
 */
async function drainEvents(
  databaseUrl: string,
  companyId: string,
  traffic: Traffic,
  receiver: VerifyingReceiver,
  serviceEnv: Record<string, string>,
  drainMs: number,
): Promise<EventFigures> {
  const store = await openStore({ databaseUrl, retention: { rows: 10_000, bytes: 256 * 1024 * 1024 }, secretsKey: readKeyFile(KEY_FILE) });
  const applied = traffic.acknowledged.filter((ack) => ack.outcome === 'applied');
  const snapshot = await snapshotOutbox(store, companyId, traffic.numbers, applied).finally(() => store.close());
  let drain = { drained: false, ms: 0 };
  try {
    const service = await startService(databaseUrl, serviceEnv);
    drain = await waitForDrain(receiver, snapshot, drainMs);
    service.child.kill('SIGTERM');
    const killer = setTimeout(() => service.child.kill('SIGKILL'), 10_000);
    await service.exited;
    clearTimeout(killer);
    current = undefined;
  } catch (error) {
    traffic.violations.push(`the service did not come back to deliver the events: ${(error as Error).message}`);
  }
  if (!drain.drained) traffic.violations.push(`the outbox did not drain within ${drainMs} ms of the last restart`);
  return checkEvents(receiver, snapshot, drain.ms, traffic.violations);
}

/** A company id from the seeded PRNG (version-4 layout), so a replay uses the same one. */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

// A child left behind would outlive the run: kill it on every way out.
process.on('exit', () => current?.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    current?.kill('SIGKILL');
    const removal = removeOnInterrupt?.() ?? Promise.resolve();
    void Promise.race([removal, delay(5000)]).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`crash test could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(2);
  },
);
