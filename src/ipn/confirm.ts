import { nextTryAt, type RetryWindow } from '../retry/backoff';
import type { Confirmation } from './confirmation';
import type { ConfirmationCheck, ConfirmationRecord, ConfirmationStore, PaymentInfoSource, QvicklyReport } from './confirmation-ports';
import { confirmationChanged } from './events';
import type { Payment } from './ports';
import { categorize, isTerminal, rankOf } from './status';

/** What Qvickly's answer means for the payment. */
export type Verdict = 'confirmed' | 'mismatch' | 'rejected' | 'unavailable';

export interface Judgement {
  verdict: Verdict;
  /** For the log line: why, in words; never a secret. */
  reason: string;
}

/**
 * The confirmation rule. Qvickly confirms a payment when it reports the payment's category, or
 * one ahead of it by the apply rule (neither has ended and Qvickly's ranks higher: the payment
 * moved on at Qvickly and its callback is still to come). A status behind the payment's, one
 * that contradicts it (another ending, or an ending the payment has not had), one the receiver
 * does not know, or another order id is a mismatch. An error code is a rejection; no answer
 * that can be believed is unavailable.
 */
export function judgeReport(payment: Pick<Payment, 'status' | 'category' | 'orderid'>, report: QvicklyReport): Judgement {
  if (report.kind === 'unavailable') return { verdict: 'unavailable', reason: `${report.reason}: ${report.detail}` };
  if (report.kind === 'error') return { verdict: 'rejected', reason: `Qvickly error ${report.code}: ${report.message}` };
  const reported = categorize(report.status);
  const claimed = `the payment is ${payment.status} (${payment.category})`;
  if (!reported) return { verdict: 'mismatch', reason: `Qvickly reports a status the receiver does not know, '${report.status}'; ${claimed}` };
  // A payment without an order id has nothing to compare Qvickly's with.
  if (payment.orderid && report.orderid !== payment.orderid) {
    return { verdict: 'mismatch', reason: `Qvickly reports order id '${report.orderid}', the payment has '${payment.orderid}'` };
  }
  const shown = `Qvickly reports ${report.status} (${reported})`;
  if (reported === payment.category) return { verdict: 'confirmed', reason: `${shown}; ${claimed}` };
  if (isTerminal(reported) || isTerminal(payment.category)) return { verdict: 'mismatch', reason: `${shown}, which contradicts it; ${claimed}` };
  if ((rankOf(reported) ?? 0) > (rankOf(payment.category) ?? 0)) return { verdict: 'confirmed', reason: `${shown}, ahead; ${claimed}` };
  return { verdict: 'mismatch', reason: `${shown}, behind; ${claimed}` };
}

/** A check's conclusion: what to record, and the judgement behind it. */
export interface Conclusion {
  record: ConfirmationRecord;
  judgement: Judgement;
}

/**
 * What a check records. Qvickly answered: the confirmation takes its answer (an error code
 * clears what an earlier answer said). Qvickly could not be asked: what was known is kept, with
 * the error, and the check is retried on the backoff until `retryForMs` after the run of checks
 * started, then left unavailable. A settled confirmation records `payment.confirmation_changed`;
 * `confirmed` releases the payment's held events with it, anything else withholds them.
 */
export function concludeCheck(
  check: ConfirmationCheck,
  report: QvicklyReport,
  times: { askedAt: Date; now: Date },
  random: () => number,
  retry: RetryWindow,
): Conclusion {
  const judgement = judgeReport(check.payment, report);
  const attempts = check.known.attempts + 1;
  const checkedAt = times.askedAt.toISOString();
  const recordedAt = times.now.toISOString();
  let confirmation: Confirmation;
  let nextCheckAt: Date | null = null;
  if (report.kind === 'info') {
    const { status: qvicklyStatus, orderid, currency, amount, relatedNumber } = report;
    const state = judgement.verdict === 'confirmed' ? 'confirmed' : 'mismatch';
    confirmation = { state, qvicklyStatus, orderid, currency, amount, relatedNumber, checkedAt, attempts, error: null };
  } else if (report.kind === 'error') {
    const error = { code: report.code, message: report.message };
    confirmation = { state: 'rejected', qvicklyStatus: null, orderid: null, currency: null, amount: null, relatedNumber: null, checkedAt, attempts, error };
  } else {
    nextCheckAt = nextTryAt(attempts, new Date(check.queuedAt), times.now, random, retry);
    const error = { code: report.reason, message: report.detail };
    confirmation = { ...check.known, state: nextCheckAt ? 'pending' : 'unavailable', checkedAt, attempts, error };
  }
  const settled = confirmation.state !== 'pending';
  const facts = { payment: check.payment, before: check.payment, confirmation, occurredAt: recordedAt };
  return {
    judgement,
    record: {
      lease: check.lease,
      confirmation,
      nextCheckAt: nextCheckAt?.toISOString() ?? null,
      held: !settled ? 'keep' : confirmation.state === 'confirmed' ? 'release' : 'withhold',
      events: settled ? [confirmationChanged(facts)] : [],
      callbackId: check.callbackId,
      recordedAt,
    },
  };
}

export interface ConfirmDependencies {
  store: ConfirmationStore;
  qvickly: PaymentInfoSource;
  clock: () => Date;
  /** [0, 1), for the retry jitter. */
  random: () => number;
  retry: RetryWindow;
}

/** One check and what became of it, for logs, metrics and `payment confirm`. */
export interface CheckReport {
  check: ConfirmationCheck;
  judgement: Judgement;
  confirmation: Confirmation;
  nextCheckAt: string | null;
  /** False when the result was dropped: a newer callback queued another check meanwhile, or the lease was lost. */
  recorded: boolean;
}

/**
 * The confirmation job, as a story: ask Qvickly about the leased payment, judge the answer
 * against the payment, and record the result with its events in one transaction, which the
 * store refuses if a newer check was queued meanwhile. Resolves undefined when `signal` ended
 * the check before Qvickly answered (shutdown): the lease is released, nothing is recorded.
 */
export async function checkConfirmation(deps: ConfirmDependencies, check: ConfirmationCheck, signal?: AbortSignal): Promise<CheckReport | undefined> {
  const askedAt = deps.clock();
  const report = await deps.qvickly.getPaymentInfo(check.account, check.lease.number, { signal });
  if (signal?.aborted) {
    await deps.store.release(check.lease);
    return undefined;
  }
  const { record, judgement } = concludeCheck(check, report, { askedAt, now: deps.clock() }, deps.random, deps.retry);
  const recorded = await deps.store.record(record);
  return { check, judgement, confirmation: record.confirmation, nextCheckAt: record.nextCheckAt, recorded };
}
