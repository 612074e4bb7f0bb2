import { randomUUID } from 'node:crypto';
import type { Answer } from '../support/contract-check';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { describeStore, engine } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const CAP = 100;
// The stores prune rejected rows once every PRUNE_EVERY rejections (src/store/sqlite.ts, postgres.ts).
const PRUNE_EVERY = 100;
const CONCURRENCY = 16;
const ROUNDS = 8;
const REJECTED_PER_ROUND = 250;
const AUTHENTIC_PER_ROUND = 5;

interface Delivery {
  path: string;
  init: RequestInit;
  expectStatus: number;
  authentic: boolean;
}

/** Runs the deliveries with at most `limit` in flight, answers in the deliveries' order. */
async function deliverAll(deliveries: Delivery[], limit: number, send: (d: Delivery) => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = new Array(deliveries.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < deliveries.length; index = next++) {
      answers[index] = await send(deliveries[index] as Delivery);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return answers;
}

/** One of four ways an anonymous sender gets a callback stored and refused. */
function aRejectedCallback(merchant: Merchant, serial: number): Delivery {
  const number = `flood-${serial}`;
  switch (serial % 4) {
    case 0: // forged hash for a configured company
      return { ...aCallback({ merchant: { ...merchant, secret: 'guessed' }, number }), expectStatus: 401, authentic: false };
    case 1: // a company that has no secret
      return { ...aCallback({ merchant: { companyId: randomUUID(), secret: 'x' }, number }), expectStatus: 401, authentic: false };
    case 2: {
      // an invalid field, with a body near the size limit
      const callback = aCallback({ merchant, number, data: { number, status: 'Paid', padding: 'p'.repeat(60_000) } });
      return { path: callback.path.replace('ArticleTypeId=1', 'ArticleTypeId=abc'), init: callback.init, expectStatus: 400, authentic: false };
    }
    default: // no data at all
      return { path: aCallback({ merchant, number }).path, init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, expectStatus: 400, authentic: false };
  }
}

describeStore('an anonymous sender cannot grow the store without bound', () => {
  const context = useServiceOnFreshStore({ rejectedCallbackCap: CAP });

  it(`${ROUNDS * REJECTED_PER_ROUND} rejected callbacks among ${ROUNDS * AUTHENTIC_PER_ROUND} authentic ones: rejected rows stay near the cap, every authentic one is applied and kept`, async () => {
    const { store, service } = context;
    const merchant = await aMerchant(store);
    // SQLite commits one transaction at a time, so its prune sees every earlier rejection. On
    // PostgreSQL, rejections still in flight during a prune are invisible to its DELETE and survive it.
    const bound = CAP + PRUNE_EVERY - 1 + (engine === 'postgres' ? CONCURRENCY - 1 : 0);
    const authenticNumbers: string[] = [];
    let serial = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const deliveries: Delivery[] = [];
      for (let index = 0; index < REJECTED_PER_ROUND; index++) {
        deliveries.push(aRejectedCallback(merchant, serial++));
        if (index % (REJECTED_PER_ROUND / AUTHENTIC_PER_ROUND) === 0) {
          const number = `authentic-${round}-${index}`;
          authenticNumbers.push(number);
          deliveries.push({ ...aCallback({ merchant, number, status: 'Paid' }), expectStatus: 200, authentic: true });
        }
      }
      const answers = await deliverAll(deliveries, CONCURRENCY, (delivery) => service.send(delivery.path, delivery.init));
      expect(answers.map((answer) => answer.status)).toEqual(deliveries.map((delivery) => delivery.expectStatus));
      deliveries.forEach((delivery, index) => {
        if (delivery.authentic) expect(answers[index]?.text).toMatch(/^\{"Message":"Payment authentic-[\d-]+ is now Paid","Success":true\}$/);
      });

      const inbox = await store.listCallbacks({ limit: 1_000_000 });
      expect(inbox.filter((row) => !row.authentic).length).toBeLessThanOrEqual(bound);
      expect(inbox.filter((row) => row.authentic)).toHaveLength(authenticNumbers.length);
    }

    const inbox = await store.listCallbacks({ limit: 1_000_000 });
    const rejected = inbox.filter((row) => !row.authentic);
    expect(rejected.length).toBeGreaterThanOrEqual(CAP);
    expect(rejected.length).toBeLessThanOrEqual(bound);
    expect(new Set(rejected.map((row) => row.outcome))).toEqual(new Set(['unauthenticated', 'invalid']));
    const authentic = inbox.filter((row) => row.authentic);
    expect(authentic.map((row) => [row.number, row.outcome]).sort()).toEqual(authenticNumbers.map((number) => [number, 'applied']).sort());
    for (const number of authenticNumbers) {
      const payment = await store.findPayment(merchant.companyId, number);
      expect([payment?.status, payment?.history.map((entry) => entry.outcome)]).toEqual(['Paid', ['applied']]);
    }
    expect(await store.listPayments(merchant.companyId)).toHaveLength(authenticNumbers.length);
    // Thousands of requests: on PostgreSQL beside the rest of the suite this takes well over jest's default 30 s.
  }, 180_000);
});
