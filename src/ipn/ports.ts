import type { EventType, PaymentEventData } from './event-body';
import type { Confirmation } from './confirmation';
import type { CallbackOutcome } from './outcome';
import type { PaymentCategory } from './status';

/** A request to the callback route exactly as it arrived: what the inbox keeps, and all a replay needs. */
export interface Delivery {
  receivedAt: string;
  contentType: string | null;
  contentEncoding: string | null;
  query: string;
  body: Buffer;
  remoteAddress: string | null;
}

/** What a callback says about itself. Until its signature is verified, these are claims, not facts. */
export interface CallbackClaims {
  companyId: string | null;
  bookingId: string | null;
  articleTypeId: number | null;
  number: string | null;
  status: string | null;
}

/** One inbox row: the delivery, what it was about, and what became of it. */
export interface InboxEntry extends Delivery, CallbackClaims {
  authentic: boolean;
  outcome: CallbackOutcome;
  reason: string | null;
  replayOf: number | null;
  /** A duplicate keeps its metadata and the id of the first copy; its body and query are not kept again. */
  duplicateOf: number | null;
  /** Which of the company's secrets verified the signature; null unless authentic. */
  secretUsed: SecretSlot | null;
  /** How the callback's booking was routed; null unless authentic. */
  routing: Routing | null;
}

export type SecretSlot = 'current' | 'previous';

/** Whether the booking a callback was bound to came from a signed callback URL. */
export type Routing = 'signed' | 'unsigned';

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
  /** `signed` once a callback with a signed URL has confirmed the payment's booking. */
  routing: Routing;
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

/** How a company's callback URLs must be: signed by us (`signed`), or also unsigned as before (`any`). */
export type CallbackUrlPolicy = 'signed' | 'any';

/** A company's Qvickly account, as receiving its callbacks needs it (secrets opened). */
export interface Company {
  companyId: string;
  secret: string;
  /** The secret before the last rotation, accepted until it expires. */
  previous: { secret: string; expiresAt: string } | undefined;
  callbackUrls: CallbackUrlPolicy;
  merchantId: string | null;
  /** A Qvickly test account. */
  test: boolean;
}

/** A payment as a callback finds it: everything the binding check, dedupe and the apply rule read. */
export interface PaymentView {
  payment: Payment | undefined;
  /** 0 while the payment does not exist; changes with every write to the payment or its history. */
  version: number;
  /** The statuses the payment's history holds, lower-cased: news the payment has already had. */
  held: ReadonlySet<string>;
  /** Its confirmation with Qvickly, when its company confirms payments. */
  confirmation: Confirmation | undefined;
  /** Each distinct signed data received for the payment: fingerprint -> its first copy's callback id (null if not known). */
  fingerprints: ReadonlyMap<string, number | null>;
}

/** What the store reads for one callback, in one go: the company's account and the payment. */
export interface CallbackView {
  company: Company | undefined;
  payment: PaymentView;
}

/**
 * Everything one callback writes, committed atomically and durably, or not at all. A settlement
 * decided on a view of the payment commits only while the payment is still at that version.
 */
export interface Settlement {
  entry: InboxEntry;
  /** The payment version the settlement was decided on; undefined when it does not depend on it. */
  expectedVersion?: number;
  /** The signed data's fingerprint, claimed for this callback: it becomes the first copy. */
  fingerprint?: string;
  payment?: { change: 'create' | 'update'; state: Payment };
  history?: Omit<HistoryEntry, 'callbackId'>;
  /** Queues a check of the payment with Qvickly, due at once (coalesced with one already queued). */
  confirm?: { queuedAt: string };
  /** Events for the booking system, recorded with this change (the transactional outbox). */
  events?: EventDraft[];
}

/**
 * An event to record with the change that causes it. The store fills `callbackId` (the inbox row
 * written in the same transaction). A `held` event waits for the payment's confirmation before
 * it may be delivered, and is released or withheld by it.
 */
export interface EventDraft {
  type: EventType;
  held: boolean;
  data: Omit<PaymentEventData, 'callbackId'>;
}

/** Why a settlement was not committed: the payment moved (or its data was claimed) since the view. */
export const VIEW_CHANGED = 'view-changed' as const;

/** The store as the IPN use case sees it. */
export interface CallbackStore {
  viewCallback(companyId: string, number: string): Promise<CallbackView>;
  /** Resolves with the inbox id once the commit is durable, or VIEW_CHANGED having written nothing. */
  settle(settlement: Settlement): Promise<number | typeof VIEW_CHANGED>;
}

/** The inbox as a replay reads it. */
export interface InboxReader {
  findCallback(callbackId: number): Promise<StoredCallback | undefined>;
}

/** Thrown by a store when it cannot durably record: the caller must not acknowledge. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
