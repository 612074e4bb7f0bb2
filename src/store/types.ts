import type { ConfirmationStore } from '../ipn/confirmation-ports';
import type { EventLedger } from '../ipn/outbox-ports';
import type { CallbackOutcome } from '../ipn/outcome';
import type { CallbackStore, InboxReader, Payment, PaymentWithHistory, StoredCallback } from '../ipn/ports';
import type { Sealer } from '../secrets/sealer';
import type { CompanyChange, CompanySummary } from './companies';

export type StoreEngine = 'sqlite' | 'postgres';

export interface CallbackFilter {
  companyId?: string;
  outcome?: CallbackOutcome;
  limit?: number;
}

/** What operators read and change, through the CLI. */
export interface OperatorQueries extends InboxReader {
  /** Creates or changes a company; only what the change names changes. */
  changeCompany(change: CompanyChange): Promise<'created' | 'updated'>;
  listCompanies(): Promise<CompanySummary[]>;
  /** Seals every company's secrets with another key, in one transaction; returns how many companies. */
  resealSecrets(to: Sealer): Promise<number>;
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
  /** Confirmation with Qvickly: the worker's leases and results, and what operators read. */
  readonly confirmations: ConfirmationStore;
  /** The transactional outbox: the dispatcher's leases and results, and what operators read and change. */
  readonly events: EventLedger;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
