import { createServer } from 'node:http';

/**
 * The booking system's event endpoint for the benchmark, in its own process so it takes no CPU
 * from the load generator: plain node http, answers 200 at once, and records when each event
 * arrived and when it happened (data.occurredAt). It does not verify signatures (the crash test
 * and the e2e tests do); its cost should be the least a receiver can have.
 *
 *   POST <any path>           an event: 200
 *   GET  /stats?since=&until= figures for the events that happened at or after `since` (ms since
 *                             the epoch); "during load" ones also arrived at or before `until`
 */

interface Arrival {
  occurredAtMs: number;
  arrivedAtMs: number;
}

const firstArrival = new Map<string, Arrival>();
let requests = 0;
let unreadable = 0;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

function lagFigures(arrivals: Arrival[]): { events: number; lagP50Ms: number | null; lagP99Ms: number | null; lagMaxMs: number | null } {
  const lags = arrivals.map((arrival) => arrival.arrivedAtMs - arrival.occurredAtMs).sort((a, b) => a - b);
  return { events: lags.length, lagP50Ms: percentile(lags, 50), lagP99Ms: percentile(lags, 99), lagMaxMs: lags.at(-1) ?? null };
}

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    const query = new URL(request.url ?? '/', 'http://receiver').searchParams;
    const since = Number(query.get('since') ?? 0);
    const until = Number(query.get('until') ?? Number.POSITIVE_INFINITY);
    const measured = [...firstArrival.values()].filter((arrival) => arrival.occurredAtMs >= since);
    const stats = {
      requests,
      unreadable,
      events: firstArrival.size,
      duplicates: requests - unreadable - firstArrival.size,
      lastArrivalMs: [...firstArrival.values()].reduce((last, arrival) => Math.max(last, arrival.arrivedAtMs), 0),
      measured: lagFigures(measured),
      duringLoad: lagFigures(measured.filter((arrival) => arrival.arrivedAtMs <= until)),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.once('end', () => {
    const arrivedAtMs = Date.now();
    requests += 1;
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    const eventId = request.headers['webhook-id'];
    try {
      const occurredAtMs = Date.parse((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { occurredAt: string } }).data.occurredAt);
      if (typeof eventId !== 'string' || !Number.isFinite(occurredAtMs)) throw new Error('no webhook-id or occurredAt');
      if (!firstArrival.has(eventId)) firstArrival.set(eventId, { occurredAtMs, arrivedAtMs });
    } catch {
      unreadable += 1;
    }
  });
});

server.listen(Number(process.env.PORT), '127.0.0.1');
