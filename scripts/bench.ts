#!/usr/bin/env node
/**
 * Throughput with durability. Measures, in one run and each in its own process on 127.0.0.1:
 * bare express, express + openapi-backend on our contract (the framework ceiling) and the full
 * service (SQLite, synchronous=FULL, group commit), with the same signed traffic; then the full
 * service again on a fresh store with event delivery on (to a local receiver in its own process:
 * req/s against delivery off, delivery lag, time to drain the backlog); then the full service
 * again with a prefilled store. Prints a table, the targets as PASS/FAIL, and
 * the report as one JSON line (last line of stdout).
 *
 *   npm run bench                       10 s per target, 50 connections, 1,000,000 prefilled
 *   npm run bench -- --smoke            2 s per target, 20,000 prefilled (CI)
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/paths';
import { killAllChildren, startServer, type ServerProcess } from './bench/children';
import { startBenchReceiver } from './bench/delivery';
import { runLoad, stopLoad } from './bench/load';
import { parseOptions, type BenchOptions } from './bench/options';
import { postgresAnswers, preparePostgres } from './bench/postgres';
import { prefillPayments, type PrefillResult } from './bench/prefill';
import { evaluate, formatReport, TARGET_TITLES, toMiB, type TargetName, type TargetResult } from './bench/report';
import { inspectStore, prepareStore } from './bench/store';
import { aBenchCompany, generateTraffic, type Traffic } from './bench/traffic';

const SERVICE_CLI = path.join(projectRoot, 'dist', 'src', 'cli', 'main.js');

/** The node flags `npm start` runs the service with, so the benchmark measures what runs. */
function startScriptNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = manifest.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`npm start does not run node: ${manifest.scripts.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}
const ECHO_SERVER = path.join(__dirname, 'bench', 'servers', 'echo.js');
const CEILING_SERVER = path.join(__dirname, 'bench', 'servers', 'ceiling.js');
const FIRST_NUMBER = 200_000_000;
const FIRST_WARMUP_NUMBER = 600_000_000;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface Run {
  options: BenchOptions;
  traffic: Traffic;
  warmup: Traffic;
}

/**
 * Starts one target, warms it up, measures it, reads its peak RSS and stops it; `afterLoad`
 * runs between the end of the measured load (from startedAtMs to endedAtMs) and the stop.
 */
async function measure(
  run: Run,
  name: TargetName,
  start: () => Promise<ServerProcess>,
  afterLoad?: (startedAtMs: number, endedAtMs: number) => Promise<Partial<TargetResult>>,
): Promise<TargetResult> {
  const { options } = run;
  progress(`${TARGET_TITLES[name]}: starting`);
  const server = await start();
  try {
    await preflight(server, run.warmup);
    if (options.warmupS > 0) await runLoad(server.url, run.warmup, options.connections, options.warmupS);
    const serverCpuBefore = server.cpuMs();
    progress(`${TARGET_TITLES[name]}: ${options.durationS} s at ${options.connections} connections`);
    const loadStartedAtMs = Date.now();
    const load = await runLoad(server.url, run.traffic, options.connections, options.durationS);
    const loadEndedAtMs = Date.now();
    const serverCpuMs = server.cpuMs() - serverCpuBefore;
    const result: TargetResult = {
      ...load,
      peakRssMiB: toMiB(server.peakRssBytes()),
      serverCpuUsPerRequest: load.requests > 0 ? Math.round((serverCpuMs * 1000) / load.requests) : 0,
      loadGeneratorCpuUsPerRequest: load.requests > 0 ? Math.round((load.loadGeneratorCpuMs * 1000) / load.requests) : 0,
      ...(afterLoad ? await afterLoad(loadStartedAtMs, loadEndedAtMs) : {}),
    };
    progress(`${TARGET_TITLES[name]}: ${result.requestsPerSecond} req/s, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}`);
    if (load.wrapped) progress(`warning: a connection used up its ${run.traffic.byConnection[0]?.length} requests; raise --max-rate`);
    return result;
  } finally {
    await server.stop();
  }
}

/** One valid callback must be answered 2xx before any load, or the figures would mean nothing. */
async function preflight(server: ServerProcess, warmup: Traffic): Promise<void> {
  const request = warmup.byConnection[0]?.[0];
  if (!request) return;
  const response = await fetch(`${server.url}${request.path ?? '/'}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${server.name} answered a valid callback ${response.status}: ${text}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-bench-'));
  const cleanUp = () => {
    killAllChildren();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      stopLoad();
      process.exit(130);
    });
  }
  // Everything below is bounded; this is the backstop if something hangs anyway.
  const budgetS = 5 * (options.durationS + options.warmupS + 40) + options.drainTimeoutS + 60 + options.prefill / 10_000;
  const watchdog = setTimeout(() => {
    progress(`gave up after ${Math.round(budgetS)} s`);
    process.exit(1);
  }, budgetS * 1000);

  const company = aBenchCompany();
  const perConnection = Math.ceil((options.maxRate * options.durationS * 1.2) / options.connections);
  const generating = process.hrtime.bigint();
  const plan = { company, connections: options.connections, duplicateShare: options.duplicateShare, seed: options.seed };
  const run: Run = {
    options,
    traffic: generateTraffic({ ...plan, perConnection, firstNumber: FIRST_NUMBER }),
    warmup: generateTraffic({
      ...plan,
      seed: plan.seed + 1,
      firstNumber: FIRST_WARMUP_NUMBER,
      perConnection: Math.max(1, Math.ceil((options.maxRate * options.warmupS) / options.connections)),
    }),
  };
  progress(
    `${run.traffic.total} signed callbacks generated (${run.traffic.duplicates} exact duplicates) in ` +
      `${(Number(process.hrtime.bigint() - generating) / 1e9).toFixed(1)} s`,
  );

  const loadBefore = loadavg();
  const results: Partial<Record<TargetName, TargetResult>> = {};
  results.bareExpress = await measure(run, 'bareExpress', () =>
    startServer({ name: 'bare express', args: [ECHO_SERVER], env: {}, logFile: path.join(dir, 'echo.log') }),
  );
  results.frameworkCeiling = await measure(run, 'frameworkCeiling', () =>
    startServer({ name: 'framework ceiling', args: [CEILING_SERVER], env: {}, logFile: path.join(dir, 'ceiling.log') }),
  );

  const startService = (file: string, log: string, eventEnv: Record<string, string> = {}) => () =>
    startServer({
      name: 'full service',
      args: [...startScriptNodeFlags(), SERVICE_CLI, 'serve'],
      env: {
        DATABASE_URL: `sqlite:${file}`,
        LOG_LEVEL: options.logLevel,
        NODE_ENV: 'production',
        ...(options.serviceNodeOptions ? { NODE_OPTIONS: options.serviceNodeOptions } : {}),
        ...eventEnv,
      },
      logFile: path.join(dir, log),
    });

  const emptyFile = path.join(dir, 'empty.sqlite');
  const durability = await prepareStore(emptyFile, company);
  if (durability.journalMode !== 'wal' || durability.synchronous !== 2) {
    throw new Error(`the store is not durable: ${JSON.stringify(durability)}`);
  }
  results.fullService = { ...(await measure(run, 'fullService', startService(emptyFile, 'service-empty.log'))), durability, stored: inspectStore(emptyFile) };

  // The same on PostgreSQL (a fresh database on the local server), when it answers.
  if (options.postgresUrl && (await postgresAnswers(options.postgresUrl))) {
    const database = await preparePostgres(options.postgresUrl, company, dir);
    try {
      const measured = await measure(run, 'fullServicePostgres', () =>
        startServer({
          name: 'full service (PostgreSQL)',
          args: [...startScriptNodeFlags(), SERVICE_CLI, 'serve'],
          env: { ...database.env, LOG_LEVEL: options.logLevel, NODE_ENV: 'production', ...(options.serviceNodeOptions ? { NODE_OPTIONS: options.serviceNodeOptions } : {}) },
          logFile: path.join(dir, 'service-postgres.log'),
        }),
      );
      results.fullServicePostgres = { ...measured, stored: await database.inspect() };
    } finally {
      await database.drop();
    }
  } else if (options.postgresUrl) {
    progress(`SKIPPED the PostgreSQL target: nothing answers at ${options.postgresUrl}`);
  }

  // The same again on a fresh store, delivering every event to a receiver on this machine.
  const deliveryFile = path.join(dir, 'delivery.sqlite');
  const deliveryDurability = await prepareStore(deliveryFile, company);
  const receiver = await startBenchReceiver(path.join(dir, 'receiver.log'));
  try {
    const drain = (startedAtMs: number, endedAtMs: number) => {
      progress(`${TARGET_TITLES.fullServiceDelivery}: waiting for the outbox to drain (at most ${options.drainTimeoutS} s)`);
      return receiver.afterLoad(deliveryFile, startedAtMs, endedAtMs, options.drainTimeoutS).then((delivery) => {
        progress(
          `${TARGET_TITLES.fullServiceDelivery}: ${delivery.events} events delivered; lag during load p50 ${delivery.duringLoad.lagP50Ms} ms, ` +
            `p99 ${delivery.duringLoad.lagP99Ms} ms; drained ${delivery.drainMs ?? 'not'} ms after the load`,
        );
        return { delivery };
      });
    };
    const measured = await measure(run, 'fullServiceDelivery', startService(deliveryFile, 'service-delivery.log', receiver.serviceEnv), drain);
    results.fullServiceDelivery = { ...measured, durability: deliveryDurability, stored: inspectStore(deliveryFile) };
  } finally {
    await receiver.server.stop();
  }

  if (options.prefill > 0) {
    const prefilledFile = path.join(dir, 'prefilled.sqlite');
    const prefilledDurability = await prepareStore(prefilledFile, company);
    progress(`prefilling ${options.prefill} payments`);
    const prefill: PrefillResult = prefillPayments(prefilledFile, options.prefill, company);
    progress(`prefilled ${prefill.payments} payments in ${prefill.seconds.toFixed(1)} s (${toMiB(prefill.fileBytes)} MiB)`);
    results.fullServicePrefilled = {
      ...(await measure(run, 'fullServicePrefilled', startService(prefilledFile, 'service-prefilled.log'))),
      durability: prefilledDurability,
      prefill,
      stored: inspectStore(prefilledFile),
    };
  }

  const { ratios, checks } = evaluate(results, options.connections);
  const report = {
    kind: 'qvickly-ipn-bench',
    version: 1,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
    options: { ...options, requestsPerConnection: perConnection },
    traffic: { generated: run.traffic.total, duplicates: run.traffic.duplicates, newPayments: run.traffic.newPayments },
    results,
    ratios,
    checks,
    pass: checks.every((check) => check.pass),
  };
  clearTimeout(watchdog);
  if (options.keep) progress(`kept ${dir}`);
  process.stdout.write(`${formatReport(results, ratios, checks)}\n`);
  const json = JSON.stringify(report);
  if (options.jsonFile) writeFileSync(options.jsonFile, `${json}\n`);
  process.stdout.write(`${json}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
