import fc from 'fast-check';
import { categorize, decide, isTerminal, type ApplyDecision, type PaymentCategory, type PaymentState } from '../../src/ipn/status';

/** Every status the contract names, by category (QvicklyCheckoutIpnCallBack's description). */
const KNOWN_STATUSES: Record<PaymentCategory, readonly string[]> = {
  awaiting: ['WaitingForPurchase', 'WaitingForSwish', 'WaitingForBankIDIdentification', 'Pending', 'Manual'],
  accepted: ['Created', 'Approved', 'FactoringWithRegress', 'FactoringWithoutRegress', 'Handling'],
  settled: ['Paid', 'Factoring', 'PartPayment', 'Service'],
  refunded: ['Credited'],
  failed: ['Denied', 'Rejected', 'Failed'],
  cancelled: ['Cancelled', 'Canceled'],
};
const RANK: Record<PaymentCategory, number | undefined> = {
  awaiting: 0,
  accepted: 1,
  settled: 2,
  refunded: 3,
  failed: undefined,
  cancelled: undefined,
};
const EXPECTED_CATEGORY = new Map(
  Object.entries(KNOWN_STATUSES).flatMap(([category, statuses]) => statuses.map((status) => [status, category as PaymentCategory])),
);

// Status names match case-insensitively, so other casings are other callbacks for the same status.
const STATUS_SPELLINGS = [...EXPECTED_CATEGORY.keys()].flatMap((status) => [status, status.toLowerCase(), status.toUpperCase()]);

/**
 * The callbacks one payment receives, in arrival order. One payment's callbacks differ only by
 * status here, so an identical status text is an identical (signed) callback. A small pool per
 * sequence makes repeats common.
 */
const arrivals = fc
  .shuffledSubarray(STATUS_SPELLINGS, { minLength: 1, maxLength: 6 })
  .chain((pool) => fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 20 }));

interface Step {
  status: string;
  category: PaymentCategory;
  decision: ApplyDecision | 'duplicate';
  before: PaymentState | undefined;
}

/** What the use case does with each arrival: drop exact repeats, apply the rest by `decide` over the history. */
function receiveAll(statuses: readonly string[]): { state: PaymentState | undefined; steps: Step[] } {
  const seen = new Set<string>();
  const held = new Set<string>();
  let state: PaymentState | undefined;
  const steps: Step[] = [];
  for (const status of statuses) {
    const category = categorize(status);
    if (!category) throw new Error(`'${status}' is not a known status`);
    if (seen.has(status)) {
      steps.push({ status, category, decision: 'duplicate', before: state });
      continue;
    }
    seen.add(status);
    const decision = decide(state, { status, category }, held);
    held.add(status.toLowerCase());
    steps.push({ status, category, decision, before: state });
    if (decision === 'applied') state = { status, category };
  }
  return { state, steps };
}

const PROPERTY_RUNS = 2000;

/** A known status with a space around it, one character dropped, or one added. */
const nearMisses = fc
  .tuple(fc.constantFrom(...STATUS_SPELLINGS), fc.nat(), fc.constantFrom(' ', 's', '_', '\u00e5', '0'))
  .chain(([status, at, extra]) =>
    fc.constantFrom(
      ` ${status}`,
      `${status} `,
      status.slice(0, at % status.length) + status.slice((at % status.length) + 1),
      status.slice(0, at % status.length) + extra + status.slice(at % status.length),
    ),
  );

describe('categorize', () => {
  it("knows every status the contract names, in any casing, in the contract's category", () => {
    for (const spelling of STATUS_SPELLINGS) {
      const contractName = [...EXPECTED_CATEGORY.keys()].find((name) => name.toLowerCase() === spelling.toLowerCase());
      expect([spelling, categorize(spelling)]).toEqual([spelling, contractName && EXPECTED_CATEGORY.get(contractName)]);
    }
  });

  it('knows no other status', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), nearMisses), (status) => {
        const known = STATUS_SPELLINGS.some((spelling) => spelling.toLowerCase() === status.toLowerCase());
        expect(categorize(status) !== undefined).toBe(known);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});

describe('the apply rule folded over any arrival order with any repeats', () => {
  it('(a) repeats of a callback change nothing: the same end state and decisions as the sequence without them', () => {
    const withRepeats = fc
      .uniqueArray(fc.constantFrom(...STATUS_SPELLINGS), { minLength: 1, maxLength: 10 })
      .chain((originals) =>
        fc
          .array(fc.tuple(fc.nat(originals.length - 1), fc.nat()), { maxLength: 15 })
          .map((repeats) => ({ originals, all: insertRepeats(originals, repeats) })),
      );
    fc.assert(
      fc.property(withRepeats, ({ originals, all }) => {
        const once = receiveAll(originals);
        const repeated = receiveAll(all);
        expect(repeated.state).toEqual(once.state);
        expect(repeated.steps.filter((step) => step.decision !== 'duplicate').map((step) => step.decision)).toEqual(
          once.steps.map((step) => step.decision),
        );
        expect(repeated.steps.filter((step) => step.decision === 'duplicate')).toHaveLength(all.length - originals.length);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('(a) a retry straight after its original is never applied again, even if the duplicate check missed it', () => {
    fc.assert(
      fc.property(arrivals, (statuses) => {
        statuses.forEach((status, index) => {
          const { state, steps } = receiveAll(statuses.slice(0, index + 1));
          if (steps[index]?.decision === 'duplicate') return;
          const held = new Set(statuses.slice(0, index + 1).map((sent) => sent.toLowerCase()));
          expect(decide(state, { status, category: categorize(status) as PaymentCategory }, held)).not.toBe('applied');
        });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('the history is what makes a late retry harmless: without it Paid, Factoring, paid would end at paid', () => {
    const withoutHistory = ['Paid', 'Factoring', 'paid'].reduce<PaymentState | undefined>((state, status) => {
      const incoming = { status, category: categorize(status) as PaymentCategory };
      return decide(state, incoming) === 'applied' ? incoming : state;
    }, undefined);
    expect(withoutHistory).toEqual({ status: 'paid', category: 'settled' });
    expect(receiveAll(['Paid', 'Factoring', 'paid']).state).toEqual({ status: 'Factoring', category: 'settled' });
  });

  it('(e) a status the payment already had never applies again, in any casing', () => {
    fc.assert(
      fc.property(arrivals, (statuses) => {
        const had = new Set<string>();
        for (const step of receiveAll(statuses).steps) {
          if (step.decision === 'applied') expect(had.has(step.status.toLowerCase())).toBe(false);
          had.add(step.status.toLowerCase());
        }
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('(b) once a failed or cancelled status arrives, the payment ends there: the first ending in arrival order wins', () => {
    fc.assert(
      fc.property(arrivals, (statuses) => {
        const firstEnding = statuses.find((status) => isTerminal(categorize(status) as PaymentCategory));
        fc.pre(firstEnding !== undefined);
        const { state } = receiveAll(statuses);
        expect(state).toEqual({ status: firstEnding, category: categorize(firstEnding as string) });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('(c) without an ending, the payment ends in the highest-ranked category received, whatever the order', () => {
    fc.assert(
      fc.property(arrivals, (statuses) => {
        const categories = statuses.map((status) => categorize(status) as PaymentCategory);
        fc.pre(!categories.some(isTerminal));
        const highest = Math.max(...categories.map((category) => RANK[category] as number));
        const { state } = receiveAll(statuses);
        expect(state && RANK[state.category]).toBe(highest);
        // And the order does not matter for the category: the reverse order ends in the same one.
        expect(receiveAll([...statuses].reverse()).state?.category).toBe(state?.category);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('(d) an applied callback never lowers the rank of a payment that has not ended, and nothing applies after an ending', () => {
    fc.assert(
      fc.property(arrivals, (statuses) => {
        for (const step of receiveAll(statuses).steps) {
          if (step.decision !== 'applied' || step.before === undefined) continue;
          expect(isTerminal(step.before.category)).toBe(false);
          if (!isTerminal(step.category)) {
            expect(RANK[step.category] as number).toBeGreaterThanOrEqual(RANK[step.before.category] as number);
          }
        }
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('the stored state is always the last applied callback', () => {
    fc.assert(
      fc.property(arrivals, (statuses) => {
        const { state, steps } = receiveAll(statuses);
        const lastApplied = steps.filter((step) => step.decision === 'applied').pop();
        expect(state).toEqual(lastApplied && { status: lastApplied.status, category: lastApplied.category });
        // The first callback of a payment always applies.
        expect(steps[0]?.decision).toBe('applied');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});

/** Inserts repeats of originals[which] at a position after that original's first arrival. */
function insertRepeats(originals: readonly string[], repeats: ReadonlyArray<readonly [number, number]>): string[] {
  const all = [...originals];
  for (const [which, where] of repeats) {
    const status = originals[which] as string;
    const first = all.indexOf(status);
    const position = first + 1 + (where % (all.length - first));
    all.splice(position, 0, status);
  }
  return all;
}
