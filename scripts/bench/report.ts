import type { DeliveryFigures } from './delivery';
import type { LoadResult } from './load';
import type { PrefillResult } from './prefill';
import type { Durability, StoredFigures } from './store';

export type TargetName = 'bareExpress' | 'frameworkCeiling' | 'fullService' | 'fullServicePostgres' | 'fullServiceDelivery' | 'fullServicePrefilled';

export const TARGET_TITLES: Record<TargetName, string> = {
  bareExpress: 'bare express 5 (JSON echo)',
  frameworkCeiling: 'express + openapi-backend (ceiling)',
  fullService: 'full service, empty store',
  fullServicePostgres: 'full service, PostgreSQL',
  fullServiceDelivery: 'full service, event delivery on',
  fullServicePrefilled: 'full service, prefilled store',
};

export interface TargetResult extends LoadResult {
  peakRssMiB: number;
  /** Server CPU time per answered request: less sensitive to other load on the machine than req/s. */
  serverCpuUsPerRequest: number;
  /** The load generator's own CPU time per request (it shares the 2 cores with the server). */
  loadGeneratorCpuUsPerRequest: number;
  durability?: Durability;
  stored?: StoredFigures;
  prefill?: PrefillResult;
  delivery?: DeliveryFigures;
}

export interface Check {
  name: string;
  target: string;
  actual: string;
  pass: boolean;
}

export interface Ratios {
  fullVsCeiling: number;
  fullVsBareExpress: number;
  postgresVsSqlite?: number;
  deliveryOnVsOff?: number;
  prefilledVsEmpty?: number;
}

const MIB = 1024 * 1024;

export function toMiB(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}

function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? Math.round((numerator / denominator) * 1000) / 1000 : 0;
}

/** The issue's targets, each as PASS/FAIL against what was measured. */
export function evaluate(results: Partial<Record<TargetName, TargetResult>>, connections: number): { ratios: Ratios; checks: Check[] } {
  const bare = results.bareExpress;
  const ceiling = results.frameworkCeiling;
  const full = results.fullService;
  const prefilled = results.fullServicePrefilled;
  const delivering = results.fullServiceDelivery;
  const postgres = results.fullServicePostgres;
  if (!bare || !ceiling || !full) throw new Error('the three targets must all have been measured');
  const ratios: Ratios = {
    fullVsCeiling: ratio(full.requestsPerSecond, ceiling.requestsPerSecond),
    fullVsBareExpress: ratio(full.requestsPerSecond, bare.requestsPerSecond),
  };
  const checks: Check[] = [
    { name: 'full service >= 0.85 x framework ceiling', target: '>= 0.85', actual: ratios.fullVsCeiling.toFixed(3), pass: ratios.fullVsCeiling >= 0.85 },
    { name: 'full service >= 0.5 x bare express', target: '>= 0.5', actual: ratios.fullVsBareExpress.toFixed(3), pass: ratios.fullVsBareExpress >= 0.5 },
  ];
  if (postgres) {
    ratios.postgresVsSqlite = ratio(postgres.requestsPerSecond, full.requestsPerSecond);
    checks.push({
      name: 'full service on PostgreSQL >= 0.5 x on SQLite',
      target: '>= 0.5',
      actual: ratios.postgresVsSqlite.toFixed(3),
      pass: ratios.postgresVsSqlite >= 0.5,
    });
    checks.push({ name: `p99 <= 50 ms at ${connections} connections (PostgreSQL)`, target: '<= 50 ms', actual: `${postgres.p99Ms} ms`, pass: postgres.p99Ms <= 50 });
  }
  if (delivering) {
    ratios.deliveryOnVsOff = ratio(delivering.requestsPerSecond, full.requestsPerSecond);
    checks.push({
      name: 'full service with event delivery on >= 0.8 x delivery off (same run)',
      target: '>= 0.8',
      actual: ratios.deliveryOnVsOff.toFixed(3),
      pass: ratios.deliveryOnVsOff >= 0.8,
    });
    const drained = delivering.delivery?.drainMs !== null && delivering.delivery?.drainMs !== undefined;
    checks.push({
      name: 'every event of the delivery-on run delivered (the backlog drained)',
      target: '0 pending',
      actual: `${delivering.delivery?.pendingAfterDrain ?? '?'} pending`,
      pass: drained,
    });
  }
  for (const [name, result] of [['full service', full], ['full service, prefilled', prefilled]] as const) {
    if (!result) continue;
    checks.push({ name: `p99 <= 25 ms at ${connections} connections (${name})`, target: '<= 25 ms', actual: `${result.p99Ms} ms`, pass: result.p99Ms <= 25 });
  }
  const measured = Object.entries(results) as Array<[TargetName, TargetResult]>;
  const failures = measured.map(([name, result]) => [name, result.non2xx + result.errors + result.timeouts] as const);
  const totalFailures = failures.reduce((sum, [, count]) => sum + count, 0);
  checks.push({
    name: 'zero non-2xx (and no errors or timeouts) for valid traffic, every target',
    target: '0',
    actual: totalFailures === 0 ? '0' : failures.filter(([, count]) => count > 0).map(([name, count]) => `${name}: ${count}`).join(', '),
    pass: totalFailures === 0,
  });
  const peakRss = Math.max(full.peakRssMiB, prefilled?.peakRssMiB ?? 0);
  checks.push({ name: 'peak RSS of the full service <= 200 MB', target: '<= 200 MiB', actual: `${peakRss} MiB`, pass: peakRss <= 200 });
  if (prefilled) {
    ratios.prefilledVsEmpty = ratio(prefilled.requestsPerSecond, full.requestsPerSecond);
    checks.push({
      name: `full service with ${prefilled.prefill?.payments ?? '?'} payments stored >= 0.9 x empty store`,
      target: '>= 0.9',
      actual: ratios.prefilledVsEmpty.toFixed(3),
      pass: ratios.prefilledVsEmpty >= 0.9,
    });
  }
  return { ratios, checks };
}

/** A fixed-width table for people; the JSON line after it is for machines. */
export function formatReport(results: Partial<Record<TargetName, TargetResult>>, ratios: Ratios, checks: Check[]): string {
  const rows: string[][] = [['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'peak RSS MiB', 'server CPU µs/req']];
  for (const [name, result] of Object.entries(results) as Array<[TargetName, TargetResult]>) {
    rows.push([
      TARGET_TITLES[name],
      String(result.requestsPerSecond),
      result.p50Ms.toFixed(2),
      result.p99Ms.toFixed(2),
      String(result.non2xx),
      String(result.errors + result.timeouts),
      result.peakRssMiB.toFixed(1),
      String(result.serverCpuUsPerRequest),
    ]);
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '));
  lines.push('');
  lines.push(`full / framework ceiling: ${ratios.fullVsCeiling.toFixed(3)}`);
  lines.push(`full / bare express:      ${ratios.fullVsBareExpress.toFixed(3)}`);
  if (ratios.postgresVsSqlite !== undefined) lines.push(`PostgreSQL / SQLite:      ${ratios.postgresVsSqlite.toFixed(3)}`);
  if (ratios.deliveryOnVsOff !== undefined) lines.push(`delivery on / off:        ${ratios.deliveryOnVsOff.toFixed(3)}`);
  if (ratios.prefilledVsEmpty !== undefined) lines.push(`prefilled / empty store:  ${ratios.prefilledVsEmpty.toFixed(3)}`);
  const delivery = results.fullServiceDelivery?.delivery;
  if (delivery) {
    const lag = (figures: DeliveryFigures['duringLoad']) => `p50 ${figures.lagP50Ms ?? '-'} ms, p99 ${figures.lagP99Ms ?? '-'} ms, max ${figures.lagMaxMs ?? '-'} ms`;
    lines.push(`delivery lag under load:  ${lag(delivery.duringLoad)} (${delivery.duringLoad.events} events delivered during the load)`);
    lines.push(`delivery lag, all events: ${lag(delivery.measured)} (${delivery.measured.events} events recorded during the load)`);
    lines.push(
      `backlog drained:          ${delivery.drainMs === null ? `no, ${delivery.pendingAfterDrain} still pending` : `${delivery.drainMs} ms after the load`}; ` +
        `${delivery.events} events delivered in all, ${delivery.duplicates} duplicate deliveries`,
    );
  }
  lines.push('');
  for (const check of checks) lines.push(`${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.actual} (target ${check.target})`);
  return lines.join('\n');
}
