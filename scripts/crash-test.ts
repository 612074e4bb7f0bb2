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
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { generateKey, readKeyFile } from '../src/secrets/key-file';
import { openStore, type StoreSettings } from '../src/store/open';
import { checkStore, countBy } from './crash/check-store';
import { createDatabase } from './crash/database';
import { checkEvents, describeEvents, eventEnvironment, snapshotOutbox, waitForDrain, type EventFigures } from './crash/events';
import { readOptions } from './crash/options';
import { killedBackendsGone } from './crash/settled';
import { Traffic, uuidFrom } from './crash/traffic';
import { seededRandom } from './support/random';
import { startServiceProcess, type ServiceProcess } from './support/service-process';
import { startVerifyingReceiver, type VerifyingReceiver } from './support/webhook-receiver';

// The key sealing the company's secret, shared by the setup, every service round and the check.
const KEY_FILE = path.join(mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-crash-key-')), 'secrets.key');
writeFileSync(KEY_FILE, `${generateKey()}\n`, { mode: 0o600 });
const START_TIMEOUT_MS = 20_000;

/** How the crash test itself opens the database under test (setup and checks). */
function storeSettings(databaseUrl: string): StoreSettings {
  return { databaseUrl, retention: { rows: 10_000, bytes: 256 * 1024 * 1024 }, secretsKey: readKeyFile(KEY_FILE) };
}

let current: ChildProcess | undefined;
/** Removes the database; set while one exists, so an interrupted run does not leave it behind. */
let removeOnInterrupt: (() => Promise<void>) | undefined;

function startService(databaseUrl: string, extraEnv: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess(
    { DATABASE_URL: databaseUrl, SECRETS_KEY_FILE: KEY_FILE, ...extraEnv },
    { timeoutMs: START_TIMEOUT_MS, keepLines: 40, onSpawn: (child) => (current = child) },
  );
}

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
    const setup = await openStore(storeSettings(database.url));
    await setup.changeCompany({ companyId: company.companyId, secret: company.secret, now: new Date().toISOString() });
    await setup.close();

    const traffic = new Traffic(random, company, options);
    let roundsCompleted = 0;
    for (let round = 1; round <= options.rounds; round++) {
      let service: ServiceProcess;
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
    const figures = await checkStore(storeSettings(database.url), company.companyId, traffic.numbers, traffic.acknowledged, violations);
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
  const store = await openStore(storeSettings(databaseUrl));
  const applied = traffic.acknowledged.filter((ack) => ack.outcome === 'applied');
  const snapshot = await snapshotOutbox(store, companyId, traffic.numbers, applied).finally(() => store.close());
  let drain = { drained: false, ms: 0 };
  try {
    const service = await startService(databaseUrl, serviceEnv);
    drain = await waitForDrain(receiver, snapshot, drainMs);
    await service.stop(10_000);
    current = undefined;
  } catch (error) {
    traffic.violations.push(`the service did not come back to deliver the events: ${(error as Error).message}`);
  }
  if (!drain.drained) traffic.violations.push(`the outbox did not drain within ${drainMs} ms of the last restart`);
  return checkEvents(receiver, snapshot, drain.ms, traffic.violations);
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
