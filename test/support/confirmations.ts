import { randomUUID } from 'node:crypto';
import type { Confirmation } from '../../src/ipn/confirmation';
import type { PaymentInfoSource } from '../../src/ipn/confirmation-ports';
import type { PaymentStore } from '../../src/store/types';
import { aMerchant, type Merchant } from './callbacks';
import type { FakeQvickly } from './fake-qvickly';

let merchantIds = 5000;

/** A company with a Qvickly merchant id (confirmation on), known to the fake Qvickly with the same secret. */
export async function aConfirmingMerchant(store: PaymentStore, fake: FakeQvickly, options: { test?: boolean } = {}): Promise<Merchant & { merchantId: string }> {
  const merchant = await aMerchant(store, `secret-${randomUUID()}`);
  const merchantId = String(++merchantIds);
  await store.changeCompany({ companyId: merchant.companyId, now: new Date().toISOString(), merchantId, test: options.test ?? true });
  fake.addMerchant(merchantId, merchant.secret);
  return { ...merchant, merchantId };
}

/** Polls `read` every 10 ms until `done` holds for its value; fails after `timeoutMs` with the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const SETTLED = new Set(['confirmed', 'mismatch', 'rejected', 'unavailable']);

/** Waits until the payment's confirmation is settled (no longer pending) and returns it. */
export async function settledConfirmation(store: PaymentStore, companyId: string, number: string, timeoutMs?: number): Promise<Confirmation> {
  const found = await waitFor(
    () => store.confirmations.find(companyId, number),
    (confirmation) => confirmation !== undefined && SETTLED.has(confirmation.state),
    timeoutMs,
  );
  return found as Confirmation;
}

interface Hold {
  /** Resolves when the check's request reached the gate (it has not been sent yet). */
  arrived: Promise<void>;
  /** Lets it go on to Qvickly. */
  release(): void;
}

/** Qvickly behind a gate: a held number's next request waits until the test releases it. */
export function gatedQvickly(inner: PaymentInfoSource): { source: PaymentInfoSource; hold(number: string): Hold } {
  const holds = new Map<string, { arrived: () => void; released: Promise<void> }>();
  return {
    source: {
      async getPaymentInfo(account, number, options) {
        const hold = holds.get(number);
        if (hold) {
          holds.delete(number);
          hold.arrived();
          await hold.released;
        }
        return inner.getPaymentInfo(account, number, options);
      },
    },
    hold(number) {
      let arrived!: () => void;
      let release!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.set(number, { arrived, released });
      return { arrived: arrival, release };
    },
  };
}
