import { categorize, decide, type PaymentCategory, type PaymentState } from '../../src/ipn/status';

const state = (status: string): PaymentState => {
  const category = categorize(status);
  if (!category) throw new Error(`unknown status ${status}`);
  return { status, category };
};

describe('status categories', () => {
  it.each<[string, PaymentCategory]>([
    ['WaitingForPurchase', 'awaiting'],
    ['WaitingForSwish', 'awaiting'],
    ['WaitingForBankIDIdentification', 'awaiting'],
    ['Pending', 'awaiting'],
    ['Manual', 'awaiting'],
    ['Created', 'accepted'],
    ['Approved', 'accepted'],
    ['FactoringWithRegress', 'accepted'],
    ['FactoringWithoutRegress', 'accepted'],
    ['Handling', 'accepted'],
    ['Paid', 'settled'],
    ['Factoring', 'settled'],
    ['PartPayment', 'settled'],
    ['Service', 'settled'],
    ['Credited', 'refunded'],
    ['Denied', 'failed'],
    ['Rejected', 'failed'],
    ['Failed', 'failed'],
    ['Cancelled', 'cancelled'],
    ['Canceled', 'cancelled'],
  ])('%s is %s', (status, category) => {
    expect(categorize(status)).toBe(category);
  });

  it('matches case-insensitively (Qvickly writes Partpayment too)', () => {
    expect(categorize('Partpayment')).toBe('settled');
    expect(categorize('PAID')).toBe('settled');
    expect(categorize('waitingforswish')).toBe('awaiting');
  });

  it.each(['Sent', 'E-brev', '', 'Paid ', 'paid\u0000', 'constructor', '__proto__'])('%j is not a known status', (status) => {
    expect(categorize(status)).toBeUndefined();
  });
});

describe('the apply rule', () => {
  it.each<[string | undefined, string, 'applied' | 'stale' | 'conflict']>([
    [undefined, 'Pending', 'applied'],
    [undefined, 'Cancelled', 'applied'],
    ['Pending', 'Created', 'applied'],
    ['Created', 'Paid', 'applied'],
    ['Paid', 'Credited', 'applied'],
    ['Pending', 'Paid', 'applied'],
    ['Created', 'Approved', 'applied'],
    ['Paid', 'Factoring', 'applied'],
    ['WaitingForPurchase', 'Pending', 'applied'],
    ['Paid', 'Created', 'stale'],
    ['Credited', 'Paid', 'stale'],
    ['Paid', 'Pending', 'stale'],
    ['Paid', 'Paid', 'stale'],
    ['Paid', 'paid', 'stale'],
    ['Pending', 'Denied', 'applied'],
    ['Paid', 'Cancelled', 'applied'],
    ['Credited', 'Cancelled', 'applied'],
    ['Created', 'Failed', 'applied'],
    ['Cancelled', 'Canceled', 'stale'],
    ['Denied', 'Rejected', 'stale'],
    ['Cancelled', 'Paid', 'conflict'],
    ['Cancelled', 'Failed', 'conflict'],
    ['Failed', 'Cancelled', 'conflict'],
    ['Denied', 'Approved', 'conflict'],
    ['Failed', 'Pending', 'conflict'],
    // Steps within a category: a credit-check result is news about Created, not the other way round.
    ['Approved', 'Created', 'stale'],
    ['Handling', 'Created', 'stale'],
    ['Created', 'FactoringWithRegress', 'applied'],
    ['Approved', 'FactoringWithoutRegress', 'applied'],
    ['Pending', 'WaitingForPurchase', 'stale'],
    ['WaitingForSwish', 'Manual', 'applied'],
    ['WaitingForSwish', 'WaitingForPurchase', 'applied'],
  ])('%s then %s: %s', (current, incoming, decision) => {
    expect(decide(current === undefined ? undefined : state(current), state(incoming))).toBe(decision);
  });

  it('treats a status the history already holds as stale, in any casing: a late retry never moves a payment back', () => {
    const held = new Set(['waitingforpurchase', 'waitingforswish', 'paid']);
    expect(decide(state('WaitingForSwish'), state('WaitingForPurchase'), held)).toBe('stale');
    expect(decide(state('Factoring'), state('PAID'), held)).toBe('stale');
    expect(decide(state('Factoring'), state('Paid'))).toBe('applied');
    // Held news after an ending is old news, not a conflict.
    expect(decide(state('Cancelled'), state('Paid'), held)).toBe('stale');
  });
});
