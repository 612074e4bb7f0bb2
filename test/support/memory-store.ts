import {
  VIEW_CHANGED,
  type CallbackStore,
  type CallbackView,
  type Company,
  type HistoryEntry,
  type InboxReader,
  type Payment,
  type Settlement,
  type StoredCallback,
} from '../../src/ipn/ports';

/**
 * The use case's store port in memory, with the same guards as the real engines (the payment's
 * version, the signed data's fingerprint), for unit tests of the use case without a database.
 */
export class MemoryCallbackStore implements CallbackStore, InboxReader {
  readonly companies = new Map<string, Company>();
  readonly payments = new Map<string, { payment: Payment; version: number; history: HistoryEntry[] }>();
  readonly fingerprints = new Map<string, number>();
  readonly inbox: StoredCallback[] = [];
  readonly settlements: Settlement[] = [];
  /** Settlements to refuse as VIEW_CHANGED before committing, as if another writer got there first. */
  interferences = 0;

  async findCallback(callbackId: number): Promise<StoredCallback | undefined> {
    return this.inbox[callbackId - 1];
  }

  private key(companyId: string | null, number: string | null): string {
    return `${companyId}\u0000${number}`;
  }

  async viewCallback(companyId: string, number: string): Promise<CallbackView> {
    const stored = this.payments.get(this.key(companyId, number));
    const prefix = `${this.key(companyId, number)}\u0000`;
    return {
      company: this.companies.get(companyId),
      payment: {
        payment: stored?.payment,
        version: stored?.version ?? 0,
        held: new Set((stored?.history ?? []).map((entry) => entry.status.toLowerCase())),
        fingerprints: new Map([...this.fingerprints].filter(([key]) => key.startsWith(prefix)).map(([key, id]) => [key.slice(prefix.length), id])),
        confirmation: undefined,
      },
    };
  }

  async settle(settlement: Settlement): Promise<number | typeof VIEW_CHANGED> {
    const { entry } = settlement;
    const key = this.key(entry.companyId, entry.number);
    const stored = this.payments.get(key);
    if (settlement.expectedVersion !== undefined && (stored?.version ?? 0) !== settlement.expectedVersion) return VIEW_CHANGED;
    if (settlement.fingerprint !== undefined && this.fingerprints.has(`${key}\u0000${settlement.fingerprint}`)) return VIEW_CHANGED;
    if (this.interferences > 0) {
      this.interferences -= 1;
      return VIEW_CHANGED;
    }
    this.settlements.push(settlement);
    const callbackId = this.inbox.length + 1;
    this.inbox.push({ ...entry, callbackId });
    if (settlement.fingerprint !== undefined) this.fingerprints.set(`${key}\u0000${settlement.fingerprint}`, callbackId);
    const history = stored?.history ?? [];
    if (settlement.history) history.push({ ...settlement.history, callbackId });
    if (settlement.payment || settlement.history) {
      this.payments.set(key, { payment: settlement.payment?.state ?? (stored as { payment: Payment }).payment, version: (stored?.version ?? 0) + 1, history });
    }
    return callbackId;
  }
}
