/** What a Qvickly status means for a booking, in the order a payment moves through them. */
export type PaymentCategory = 'awaiting' | 'accepted' | 'settled' | 'refunded' | 'failed' | 'cancelled';

/**
 * Every status the receiver knows, by category, in steps: a later step of a category is news
 * about an earlier one (Qvickly's Status page: a payment is Created, then its credit check
 * answers Approved, FactoringWithRegress, FactoringWithoutRegress or Handling; Pending and
 * Manual mean the credit check is under manual review). Statuses of one step are alternatives.
 *
 * Sources (Billmate/QvicklyDocumentation, Writerside/topics): Status.md (status field, the
 * credit-check results GetPaymentInfo reports, and their combinations), Add-payment.md and
 * confirm.md (WaitingFor*), Credit-payment.md (Credited), checkoutStatus.md (Failed); Denied
 * from the Qvickly Checkout plugin for WooCommerce; Service as a paid status from the
 * laravel-qvickly and PrestaShop integrations.
 */
const STEPS: Record<PaymentCategory, ReadonlyArray<readonly string[]>> = {
  awaiting: [['WaitingForPurchase', 'WaitingForSwish', 'WaitingForBankIDIdentification'], ['Pending', 'Manual']],
  accepted: [['Created'], ['Approved', 'FactoringWithRegress', 'FactoringWithoutRegress', 'Handling']],
  settled: [['Paid', 'Factoring', 'PartPayment', 'Service']],
  refunded: [['Credited']],
  failed: [['Denied', 'Rejected', 'Failed']],
  cancelled: [['Cancelled', 'Canceled']],
};

/** Every status the receiver knows, as Qvickly spells them. */
export const KNOWN_STATUSES: readonly string[] = Object.values(STEPS).flat(2);

interface Standing {
  category: PaymentCategory;
  step: number;
}

const STANDING_OF_STATUS = new Map<string, Standing>(
  Object.entries(STEPS).flatMap(([category, steps]) =>
    steps.flatMap((statuses, step) => statuses.map((status) => [status.toLowerCase(), { category: category as PaymentCategory, step }] as const)),
  ),
);

/** Ranks of the categories a payment moves forward through; failed and cancelled end it. */
const RANK: Partial<Record<PaymentCategory, number>> = { awaiting: 0, accepted: 1, settled: 2, refunded: 3 };

/** The category of a status as Qvickly sends it (case-insensitive), or undefined if unknown. */
export function categorize(status: string): PaymentCategory | undefined {
  return STANDING_OF_STATUS.get(status.toLowerCase())?.category;
}

export function isTerminal(category: PaymentCategory): boolean {
  return category === 'failed' || category === 'cancelled';
}

/** Where a category stands among the forward ones; undefined for an ending. */
export function rankOf(category: PaymentCategory): number | undefined {
  return RANK[category];
}

export interface PaymentState {
  status: string;
  category: PaymentCategory;
}

/** applied: the payment takes the status; stale: older or equal news; conflict: news after the end. */
export type ApplyDecision = 'applied' | 'stale' | 'conflict';

const stepOf = (status: string): number => STANDING_OF_STATUS.get(status.toLowerCase())?.step ?? 0;

/**
 * The apply rule. A status the payment's history already holds is stale: a late retry never
 * moves a payment back. After a payment failed or was cancelled, another ending of the same kind
 * is stale and anything else a conflict for an operator. Otherwise an ending applies, a higher
 * category applies, and within a category a later step applies, or another status of the same
 * step; anything ranked lower, or the same status again, is stale.
 */
export function decide(current: PaymentState | undefined, incoming: PaymentState, held: ReadonlySet<string> = new Set()): ApplyDecision {
  if (!current) return 'applied';
  if (held.has(incoming.status.toLowerCase())) return 'stale';
  if (isTerminal(current.category)) {
    return incoming.category === current.category ? 'stale' : 'conflict';
  }
  if (isTerminal(incoming.category)) return 'applied';
  const byRank = (RANK[incoming.category] ?? 0) - (RANK[current.category] ?? 0);
  if (byRank !== 0) return byRank > 0 ? 'applied' : 'stale';
  const byStep = stepOf(incoming.status) - stepOf(current.status);
  if (byStep !== 0) return byStep > 0 ? 'applied' : 'stale';
  return incoming.status.toLowerCase() !== current.status.toLowerCase() ? 'applied' : 'stale';
}
