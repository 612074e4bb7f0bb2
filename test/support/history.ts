import { decide, type PaymentState } from '../../src/ipn/status';
import type { PaymentWithHistory } from '../../src/ipn/ports';

/**
 * Replays a payment's history through the apply rule: every entry must have the outcome the
 * rule gives at that point, and the payment's state must be the last applied entry.
 */
export function expectHistoryFollowsTheRule(payment: PaymentWithHistory): void {
  let state: PaymentState | undefined;
  const held = new Set<string>();
  for (const entry of payment.history) {
    expect(decide(state, entry, held)).toBe(entry.outcome);
    held.add(entry.status.toLowerCase());
    if (entry.outcome === 'applied') state = { status: entry.status, category: entry.category };
  }
  expect({ status: payment.status, category: payment.category }).toEqual(state);
}
