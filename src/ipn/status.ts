/** What a Qvickly status means for a booking, in the order a payment moves through them. */
export type PaymentCategory = 'awaiting' | 'accepted' | 'settled' | 'refunded' | 'failed' | 'cancelled';

const STATUSES_BY_CATEGORY: Record<PaymentCategory, readonly string[]> = {
  awaiting: ['WaitingForPurchase', 'WaitingForSwish', 'WaitingForBankIDIdentification', 'Pending', 'Manual'],
  accepted: ['Created', 'Approved'],
  settled: [
    'Paid',
    'Factoring',
    'FactoringWithRegress',
    'FactoringWithoutRegress',
    'PartPayment',
    'Handling',
    'Service',
  ],
  refunded: ['Credited'],
  failed: ['Denied', 'Rejected', 'Failed'],
  cancelled: ['Cancelled', 'Canceled'],
};

/** Every status the receiver knows, as Qvickly spells them. */
export const KNOWN_STATUSES: readonly string[] = Object.values(STATUSES_BY_CATEGORY).flat();

const CATEGORY_OF_STATUS = new Map<string, PaymentCategory>(
  Object.entries(STATUSES_BY_CATEGORY).flatMap(([category, statuses]) =>
    statuses.map((status) => [status.toLowerCase(), category as PaymentCategory] as const),
  ),
);

/** Ranks of the categories a payment moves forward through; failed and cancelled end it. */
const RANK: Partial<Record<PaymentCategory, number>> = { awaiting: 0, accepted: 1, settled: 2, refunded: 3 };

/** The category of a status as Qvickly sends it (case-insensitive), or undefined if unknown. */
export function categorize(status: string): PaymentCategory | undefined {
  return CATEGORY_OF_STATUS.get(status.toLowerCase());
}

export function isTerminal(category: PaymentCategory): boolean {
  return category === 'failed' || category === 'cancelled';
}

export interface PaymentState {
  status: string;
  category: PaymentCategory;
}

/** applied: the payment takes the status; stale: older or equal news; conflict: news after the end. */
export type ApplyDecision = 'applied' | 'stale' | 'conflict';

/**
 * The apply rule. A status applies when its category ranks higher, when it ends a payment
 * that has not ended, or when it is another status of the same rank. Anything ranked lower,
 * or the same status again, is stale. After a payment failed or was cancelled, another
 * ending of the same kind is stale and anything else is a conflict for an operator.
 */
export function decide(current: PaymentState | undefined, incoming: PaymentState): ApplyDecision {
  if (!current) return 'applied';
  if (isTerminal(current.category)) {
    return incoming.category === current.category ? 'stale' : 'conflict';
  }
  if (isTerminal(incoming.category)) return 'applied';
  const currentRank = RANK[current.category] ?? 0;
  const incomingRank = RANK[incoming.category] ?? 0;
  if (incomingRank > currentRank) return 'applied';
  if (incomingRank === currentRank && incoming.status.toLowerCase() !== current.status.toLowerCase()) {
    return 'applied';
  }
  return 'stale';
}
