import type { CallbackOutcome } from '../ipn/outcome';
import type { CallbackStore, InboxReader, Payment, PaymentWithHistory, StoredCallback } from '../ipn/ports';

export type StoreEngine = 'sqlite' | 'postgres';

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

/** What operators read and change, through the CLI. */
export interface OperatorQueries extends InboxReader {
  setCompany(companyId: string, secret: string, merchantId: string | null, now: string): Promise<void>;
  listCompanies(): Promise<CompanySummary[]>;
  findPayment(companyId: string, number: string): Promise<PaymentWithHistory | undefined>;
  listPayments(companyId: string, bookingId?: string): Promise<Payment[]>;
  listCallbacks(filter: CallbackFilter): Promise<StoredCallback[]>;
}

/** Whether the store can be read, and whether its last write committed. */
export interface StoreHealth {
  reachable: boolean;
  /** False from a failed write until the next one that commits. */
  writable: boolean;
}

/** A store engine: the use case's port, the operators' queries, and its life cycle. */
export interface PaymentStore extends CallbackStore, OperatorQueries {
  readonly engine: StoreEngine;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
