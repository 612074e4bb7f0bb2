import { categorize, decide, type PaymentState } from '../../src/ipn/status';
import type { PaymentWithHistory } from '../../src/ipn/ports';
import { openStore, type StoreSettings } from '../../src/store/open';
import type { Acknowledged } from './traffic';

/**
 * The crash test's checks, read through the store API: every 200 has its inbox row, every
 * acknowledged decision is in its payment's history, inbox and history were written together,
 * and each history replays through the apply rule to the stored payment.
 */
export interface CheckFigures {
  acknowledgedChecked: number;
  paymentsChecked: number;
  inboxRows: number;
  historyEntries: number;
}

const key = (number: string, status: string): string => `${number}\u0000${status}`;

export async function checkStore(
  settings: StoreSettings,
  companyId: string,
  numbers: readonly string[],
  acknowledged: readonly Acknowledged[],
  violations: string[],
): Promise<CheckFigures> {
  const store = await openStore(settings);
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

export function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}
