import Database from 'better-sqlite3';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { aWebhookSecret } from '../support/webhook-receiver';
import { startServer, type ServerProcess } from './children';

const RECEIVER_SERVER = path.join(__dirname, 'servers', 'receiver.js');

/** Event delivery during one full-service run, as the receiver and the store saw it. */
export interface DeliveryFigures {
  /** Distinct events the receiver got (warm-up and measured load). */
  events: number;
  /** Deliveries of an event it already had. */
  duplicates: number;
  /** Events still pending (or held) in the outbox when the wait for the drain ended. */
  pendingAfterDrain: number;
  /** From the end of the measured load until no event was pending; null if it did not drain in time. */
  drainMs: number | null;
  /** Events recorded during the measured load that arrived before it ended: delivery under steady load. */
  duringLoad: LagFigures;
  /** Every event recorded during the measured load, including those that arrived while the backlog drained. */
  measured: LagFigures;
}

/** Lag = arrival at the receiver − data.occurredAt, in ms. */
export interface LagFigures {
  events: number;
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  lagMaxMs: number | null;
}

interface ReceiverStats {
  requests: number;
  unreadable: number;
  events: number;
  duplicates: number;
  measured: LagFigures;
  duringLoad: LagFigures;
}

/** A local event receiver (own process) and the service settings that deliver to it. */
export interface BenchReceiver {
  server: ServerProcess;
  serviceEnv: Record<string, string>;
  /**
   * After the measured load (it ran from loadStartedAtMs to loadEndedAtMs): waits until the
   * service's outbox in `storeFile` has nothing pending, at most `timeoutS`, then reads the lags.
   */
  afterLoad(storeFile: string, loadStartedAtMs: number, loadEndedAtMs: number, timeoutS: number): Promise<DeliveryFigures>;
}

export async function startBenchReceiver(logFile: string): Promise<BenchReceiver> {
  const server = await startServer({ name: 'event receiver', args: [RECEIVER_SERVER], env: {}, logFile });
  return {
    server,
    // The service's defaults otherwise (concurrency 8, poll 500 ms, woken by each commit).
    serviceEnv: { EVENTS_WEBHOOK_URL: `${server.url}/events`, EVENTS_WEBHOOK_SECRET: aWebhookSecret() },
    async afterLoad(storeFile, loadStartedAtMs, loadEndedAtMs, timeoutS) {
      let pending = pendingEvents(storeFile);
      while (pending > 0 && Date.now() - loadEndedAtMs < timeoutS * 1000) {
        await delay(20);
        pending = pendingEvents(storeFile);
      }
      const drainMs = pending === 0 ? Date.now() - loadEndedAtMs : null;
      // The last answer may be written a moment before the receiver has recorded it.
      await delay(100);
      const response = await fetch(`${server.url}/stats?since=${loadStartedAtMs}&until=${loadEndedAtMs}`, { signal: AbortSignal.timeout(10_000) });
      const stats = (await response.json()) as ReceiverStats;
      if (stats.unreadable > 0) throw new Error(`the event receiver could not read ${stats.unreadable} events`);
      return { events: stats.events, duplicates: stats.duplicates, pendingAfterDrain: pending, drainMs, duringLoad: stats.duringLoad, measured: stats.measured };
    },
  };
}

/** Events the service still has to send, read from its SQLite file while it runs (WAL: readers do not block it). */
function pendingEvents(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.prepare(`SELECT count(*) FROM payment_events WHERE state IN ('pending', 'held')`).pluck().get());
  } finally {
    db.close();
  }
}
