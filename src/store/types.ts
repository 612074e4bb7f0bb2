import type { CallbackOutcome } from '../ipn/outcome';
import type { PaymentCategory } from '../ipn/status';

/** A callback exactly as it arrived, kept for audit and replay. */
export interface Delivery {
  receivedAt: string;
  contentType: string | null;
  query: string;
  body: Buffer;
  remoteAddress: string | null;
}

/** One inbox row: the delivery, what it was about, and what became of it. */
export interface InboxEntry extends Delivery {
  companyId: string | null;
  bookingId: string | null;
  articleTypeId: number | null;
  number: string | null;
  status: string | null;
  authentic: boolean;
  outcome: CallbackOutcome;
  reason: string | null;
  replayOf: number | null;
}

export interface StoredCallback extends InboxEntry {
  callbackId: number;
}

export interface Payment {
  companyId: string;
  number: string;
  bookingId: string;
  articleTypeId: number;
  orderid: string | null;
  status: string;
  category: PaymentCategory;
  url: string | null;
  updatedAt: string;
}

/** A callback that reached the apply rule, as the payment's history shows it. */
export interface HistoryEntry {
  status: string;
  category: PaymentCategory;
  outcome: 'applied' | 'stale' | 'conflict';
  callbackId: number;
  receivedAt: string;
}

export interface PaymentWithHistory extends Payment {
  history: HistoryEntry[];
}

export interface CompanySummary {
  companyId: string;
  merchantId: string | null;
  updatedAt: string;
}

export interface CallbackFilter {
  companyId?: string;
  outcome?: CallbackOutcome;
  limit?: number;
}

/**
 * What the IPN use case may do inside one transaction. Everything it writes commits together,
 * and only once the commit is durable does the transaction's promise resolve.
 */
export interface CallbackTransaction {
  findSecret(companyId: string): Promise<string | undefined>;
  /** Reads the payment and holds it against concurrent writers until the transaction ends. */
  lockPayment(companyId: string, number: string): Promise<Payment | undefined>;
  /**
   * True the first time this signed data (of this payment) is seen for the company; false on
   * every repeat. Keyed by payment first, so that new entries land next to each other.
   */
  claimFingerprint(companyId: string, number: string, fingerprint: string): Promise<boolean>;
  recordCallback(entry: InboxEntry): Promise<number>;
  /** Creates the payment (isNew) or updates it. */
  savePayment(payment: Payment, isNew: boolean): Promise<void>;
  appendHistory(companyId: string, number: string, entry: HistoryEntry): Promise<void>;
}

export type StoreEngine = 'sqlite' | 'postgres';

export interface PaymentStore {
  readonly engine: StoreEngine;
  migrate(): Promise<void>;
  inTransaction<T>(work: (tx: CallbackTransaction) => Promise<T>): Promise<T>;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;

  setCompany(companyId: string, secret: string, merchantId: string | null, now: string): Promise<void>;
  listCompanies(): Promise<CompanySummary[]>;
  findPayment(companyId: string, number: string): Promise<PaymentWithHistory | undefined>;
  listPayments(companyId: string, bookingId?: string): Promise<Payment[]>;
  listCallbacks(filter: CallbackFilter): Promise<StoredCallback[]>;
  findCallback(callbackId: number): Promise<StoredCallback | undefined>;
}

/** Thrown by a store when it cannot durably record: the caller must not acknowledge. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
