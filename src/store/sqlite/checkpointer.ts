import { Worker } from 'node:worker_threads';

// The worker's whole program. Inline so it runs the same from src/ (tests) and dist/ (built).
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* the next round retries */ }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } finally { db.close(); parentPort.close(); }
});
`;

/**
 * Copies the WAL back into the database file from a thread of its own. SQLite would otherwise
 * run this checkpoint inside a COMMIT every ~1,000 pages, stalling the event loop (and every
 * answer waiting on it) for several milliseconds. A checkpoint never affects what a COMMIT has
 * already made durable; it only lets the WAL be reused.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(file: string, onFailure: (error: unknown) => void, intervalMs = 100) {
    this.worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.worker.on('error', onFailure);
    this.worker.on('exit', (code) => {
      if (!this.stopped) onFailure(new Error(`the checkpointer exited with ${code}`));
    });
  }

  /** A last checkpoint, then the thread ends. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // the process must wait for the last checkpoint
    this.worker.postMessage('stop');
    await exited;
  }
}
