import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { Traffic } from './traffic';

export interface LoadResult {
  /** From autocannon's start (all connections set up) to its end: the window req/s is over. */
  durationS: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** True when a connection sent its whole pre-generated list and started over (more duplicates). */
  wrapped: boolean;
  /** The load generator's own CPU time over the window (it shares the machine with the server). */
  loadGeneratorCpuMs: number;
}

let current: autocannon.Instance | undefined;

/** Stops a load run in progress (SIGINT). */
export function stopLoad(): void {
  current?.stop();
}

/**
 * Drives `url` with the pre-generated traffic for `durationS` seconds, each connection replaying
 * its own request list (keep-alive, no pipelining, as Qvickly's workers would).
 */
export function runLoad(url: string, traffic: Traffic, connections: number, durationS: number): Promise<LoadResult> {
  // autocannon keeps whole milliseconds; a microsecond histogram gives usable p50s on loopback.
  const latencyUs = createHistogram();
  let nextConnection = 0;
  const answeredBy = new Map<autocannon.Client, number>();
  let startedAt = process.hrtime.bigint();
  let cpuAtStart = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: durationS,
        pipelining: 1,
        timeout: 10,
        setupClient: (client) => {
          const requests = traffic.byConnection[nextConnection % traffic.byConnection.length];
          nextConnection += 1;
          if (requests) client.setRequests(requests);
        },
      },
      (error, result) => {
        current = undefined;
        if (error) return reject(error);
        const windowS = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const cpu = process.cpuUsage(cpuAtStart);
        const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
        const requests = Object.values(statusCodes).reduce((sum, count) => sum + count, 0);
        const perConnection = traffic.byConnection[0]?.length ?? 0;
        const busiest = Math.max(0, ...answeredBy.values());
        const ms = (percentile: number) => round(latencyUs.percentile(percentile) / 1000, 2);
        resolve({
          durationS: round(windowS, 2),
          requests,
          requestsPerSecond: round(requests / windowS, 0),
          p50Ms: ms(50),
          p90Ms: ms(90),
          p99Ms: ms(99),
          maxMs: round(latencyUs.max / 1000, 2),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          wrapped: busiest > perConnection,
          loadGeneratorCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        });
      },
    );
    // 'start' comes once every connection is set up: setRequests() encodes each connection's whole
    // list first, which takes seconds for large lists and must not count as load time.
    instance.on('start', () => {
      startedAt = process.hrtime.bigint();
      cpuAtStart = process.cpuUsage();
    });
    instance.on('response', (client, _status, _bytes, ms) => {
      const answered = (answeredBy.get(client) ?? 0) + 1;
      answeredBy.set(client, answered);
      // A connection's first request is timed from when it was queued, before the other
      // connections' lists were encoded; its latency says nothing about the server.
      if (answered > 1) latencyUs.record(Math.max(1, Math.round(ms * 1000)));
    });
    current = instance;
  });
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
