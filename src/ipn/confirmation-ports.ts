import type { Confirmation } from './confirmation';
import type { EventDraft, Payment } from './ports';

/** A company's Qvickly account, as asking the Payment API needs it (secret opened). */
export interface QvicklyAccount {
  merchantId: string;
  secret: string;
  /** A Qvickly test account: requests carry credentials.test. */
  test: boolean;
}

/** What Qvickly's Payment API said about a payment (the Qvickly client's answer, as the domain reads it). */
export type QvicklyReport =
  | { kind: 'info'; status: string; orderid: string; currency: string; amount: string; relatedNumber: string | null }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'unavailable'; reason: string; detail: string };

/** The Payment API as a check uses it. Never throws for Qvickly's misbehaviour: that is `unavailable`. */
export interface PaymentInfoSource {
  getPaymentInfo(account: QvicklyAccount, number: string, options?: { signal?: AbortSignal }): Promise<QvicklyReport>;
}

/** Which check a result belongs to: a result counts only while the row is still at this generation and lease. */
export interface ConfirmationLease {
  companyId: string;
  number: string;
  generation: number;
  leaseToken: string;
}

/** A leased check: everything asking Qvickly and judging its answer needs. */
export interface ConfirmationCheck {
  lease: ConfirmationLease;
  account: QvicklyAccount;
  /** The payment as it stood when the check was leased (its generation pins it). */
  payment: Payment;
  /** The stored confirmation (pending): what was known, and the attempts of this run so far. */
  known: Confirmation;
  /** When this run of checks started: retries stop `retryForMs` after it. */
  queuedAt: string;
  /** The applied callback whose status is being confirmed (its latest), for the event. */
  callbackId: number | null;
}

/** What one check writes, in one transaction, only while the lease still holds. */
export interface ConfirmationRecord {
  lease: ConfirmationLease;
  confirmation: Confirmation;
  /** When to ask again (the confirmation stays pending); null once it is settled. */
  nextCheckAt: string | null;
  /** What becomes of the payment's `held` events: released (sent, with this confirmation), withheld (never sent), or kept waiting. */
  held: 'keep' | 'release' | 'withhold';
  /** Recorded after the released ones, so they come first in the payment's sequence. */
  events: EventDraft[];
  callbackId: number | null;
  recordedAt: string;
}

/** The confirmations waiting for a check, for operators and metrics. */
export interface ConfirmationBacklog {
  /** Pending confirmations of companies that confirm (due or waiting for a retry). */
  pending: number;
  /** Pending, due and not leased: waiting for a worker. */
  due: number;
  /** The earliest due_at among the due ones, or null. */
  oldestDueAt: string | null;
}

/** Why `payment confirm` cannot check a payment. */
export type NotCheckable = 'no-payment' | 'not-confirming';

/** The confirmations as the worker and operators see them; implemented by both stores. */
export interface ConfirmationStore {
  /**
   * Up to `limit` pending confirmations of companies with a merchant id that are due at `now`
   * and not leased until after it, earliest due first, leased until `leaseUntil` under a new
   * token. A lease that expires (its worker died or hung) makes the check leasable again.
   */
  lease(limit: number, now: Date, leaseUntil: Date): Promise<ConfirmationCheck[]>;
  /**
   * One payment's check, now, whatever its due time: queued first (a new generation) unless it
   * is pending, then leased (taking over any other lease, whose result is then dropped).
   */
  leaseNow(companyId: string, number: string, now: Date, leaseUntil: Date): Promise<ConfirmationCheck | NotCheckable>;
  /**
   * Records a check's result, its held events' fate and its events in one transaction, and
   * resolves true; or resolves false having only ended the lease, when the row has moved to a
   * newer generation (a newer callback queued another check) or is no longer this lease's.
   */
  record(record: ConfirmationRecord): Promise<boolean>;
  /** Ends a lease without a result (a check abandoned at shutdown), so the check is due again at once. */
  release(lease: ConfirmationLease): Promise<void>;
  backlog(now: Date): Promise<ConfirmationBacklog>;
  find(companyId: string, number: string): Promise<Confirmation | undefined>;
  /** Payment numbers Qvickly relates to this one, either way (a credit and its original), sorted. */
  relatedPayments(companyId: string, number: string): Promise<string[]>;
}
