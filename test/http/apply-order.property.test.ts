import fc from 'fast-check';
import { categorize, decide, type ApplyDecision, type PaymentCategory, type PaymentState } from '../../src/ipn/status';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { expectHistoryFollowsTheRule } from '../support/history';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const STATUSES = [
  'Pending',
  'WaitingForSwish',
  'Created',
  'Approved',
  'Paid',
  'Handling',
  'PartPayment',
  'Credited',
  'Denied',
  'Failed',
  'Cancelled',
  'Canceled',
  'paid',
  'CANCELLED',
];

interface Arrival {
  status: string;
  encoding: 'json' | 'form';
}

/** One payment's callbacks in sending order: a few statuses, repeated and shuffled, as JSON or a form. */
const arrivals = fc
  .shuffledSubarray(STATUSES, { minLength: 1, maxLength: 5 })
  .chain((pool) =>
    fc.array(
      fc.record({ status: fc.constantFrom(...pool), encoding: fc.constantFrom<Arrival['encoding']>('json', 'form') }),
      { minLength: 1, maxLength: 10 },
    ),
  );

interface Expected {
  outcome: ApplyDecision | 'duplicate';
  status: string;
  category: PaymentCategory;
  before: PaymentState | undefined;
}

/** The use case's rule: an identical callback (same signed data, any encoding) is a duplicate; the rest go through `decide` over the history. */
function fold(sent: readonly Arrival[]): { state: PaymentState | undefined; expected: Expected[] } {
  const seen = new Set<string>();
  const held = new Set<string>();
  let state: PaymentState | undefined;
  const expected = sent.map(({ status }): Expected => {
    const category = categorize(status) as PaymentCategory;
    const before = state;
    if (seen.has(status)) return { outcome: 'duplicate', status, category, before };
    seen.add(status);
    const outcome = decide(state, { status, category }, held);
    held.add(status.toLowerCase());
    if (outcome === 'applied') state = { status, category };
    return { outcome, status, category, before };
  });
  return { state, expected };
}

/** The answer a user sees for each outcome (the contract's CallbackReceived examples). */
function messageFor(number: string, { outcome, status, before }: Expected): string {
  switch (outcome) {
    case 'applied':
      return `Payment ${number} is now ${status}`;
    case 'duplicate':
      return `Callback already received for payment ${number}; nothing changed`;
    case 'stale':
      return `Payment ${number} is already ${before?.status}; ${status} was recorded but not applied`;
    case 'conflict':
      return `Payment ${number} is already ${before?.status}; ${status} was recorded for review but not applied`;
  }
}

const RUNS = 50;

describeStore('callbacks for one payment in any order, with any repeats, over HTTP', () => {
  const context = useServiceOnFreshStore();
  let merchant: Merchant;
  beforeAll(async () => {
    merchant = await aMerchant(context.store);
  });

  it(`answers and stores what folding the apply rule over the arrival order gives (${RUNS} runs)`, async () => {
    const { service, store } = context;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(arrivals, async (sent) => {
        // A fresh payment per run, shrinking included, so runs never see each other's callbacks.
        const number = `order-${++run}-${Date.now()}`;
        const { state, expected } = fold(sent);

        // Sequentially, so the order the answers come back in is the order the service received them.
        for (const [index, arrival] of sent.entries()) {
          const { path, init } = aCallback({ merchant, number, status: arrival.status, encoding: arrival.encoding });
          const answer = await service.send(path, init);
          const wanted = expected[index] as Expected;
          expect({ index, status: answer.status, text: answer.text }).toEqual({
            index,
            status: 200,
            text: JSON.stringify({ Message: messageFor(number, wanted), Success: true }),
          });
        }

        const payment = await store.findPayment(merchant.companyId, number);
        expect(payment).toMatchObject({ status: state?.status, category: state?.category, bookingId: 'booking-1' });
        if (payment) expectHistoryFollowsTheRule(payment);
        expect(payment?.history.map(({ status, category, outcome }) => ({ status, category, outcome }))).toEqual(
          expected
            .filter((step) => step.outcome !== 'duplicate')
            .map(({ status, category, outcome }) => ({ status, category, outcome })),
        );
        // Every callback is in the inbox, duplicates included, with the outcome it was answered with.
        const inbox = (await store.listCallbacks({ companyId: merchant.companyId, limit: 10_000 }))
          .filter((row) => row.number === number)
          .sort((a, b) => a.callbackId - b.callbackId);
        expect(inbox.map((row) => [row.status, row.outcome])).toEqual(expected.map((step) => [step.status, step.outcome]));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
