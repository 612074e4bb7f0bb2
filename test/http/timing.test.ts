import { randomUUID } from 'node:crypto';
import nodeCrypto = require('node:crypto');
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { quantile } from '../support/raw-http';
import { describeStore, engine } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';
import { refuseWrites } from '../support/unwritable';

const SAMPLES = 200;
const MAX_RELATIVE_DIFFERENCE = 0.2;

/** Signed data padded to about `bytes`, so the HMAC work is a real part of each answer. */
const paddedData = (number: string, bytes: number) => ({ number, status: 'Paid', orderid: 'O', url: '', padding: 'p'.repeat(bytes) });

describeStore('the time of a 401 says nothing about whether the company has a secret', () => {
  const context = useServiceOnFreshStore();
  let known: Merchant;
  beforeAll(async () => {
    known = await aMerchant(context.store);
  });

  /** One forged callback, timed from the request to the whole answer. */
  async function forged401(companyId: string, bytes: number, serial: number): Promise<number> {
    // Signed with a secret nobody configured: for `known` a wrong hash, for a stranger no secret at all.
    const callback = aCallback({ merchant: { companyId, secret: 'guessed' }, data: paddedData(`t-${serial}`, bytes) });
    const started = process.hrtime.bigint();
    const response = await fetch(`${context.service.url}${callback.path}`, callback.init);
    await response.text();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(response.status).toBe(401);
    return ms;
  }

  it.each([
    ['1 KB', 1_000],
    ['60 KB', 60_000],
  ])(`forged %s callbacks: median answer time with and without a configured secret within ${MAX_RELATIVE_DIFFERENCE * 100}%`, async (label, bytes) => {
    const withSecret: number[] = [];
    const withoutSecret: number[] = [];
    const ratios: number[] = [];
    for (let warmUp = 0; warmUp < 10; warmUp++) await forged401(known.companyId, bytes, -warmUp);
    // Interleaved, so a slow moment of the machine falls on both sides alike.
    for (let serial = 0; serial < SAMPLES; serial++) {
      const stranger = randomUUID();
      if (serial % 2 === 0) {
        withSecret.push(await forged401(known.companyId, bytes, serial));
        withoutSecret.push(await forged401(stranger, bytes, serial));
      } else {
        withoutSecret.push(await forged401(stranger, bytes, serial));
        withSecret.push(await forged401(known.companyId, bytes, serial));
      }
      ratios.push((withSecret.at(-1) ?? 0) / (withoutSecret.at(-1) ?? 1));
    }
    const known50 = quantile(withSecret, 0.5);
    const unknown50 = quantile(withoutSecret, 0.5);
    // Each pair is sent back to back, so it meets the machine in the same state: the median of the
    // pairs' ratios is steadier than the ratio of two medians on a busy 2-core machine.
    const pairedRatio = quantile(ratios, 0.5);
    const difference = Math.abs(pairedRatio - 1);
    console.log(
      `[${engine}] forged ${label}, ${SAMPLES} each: with a secret median ${known50.toFixed(2)} ms (p90 ${quantile(withSecret, 0.9).toFixed(2)}), ` +
        `without median ${unknown50.toFixed(2)} ms (p90 ${quantile(withoutSecret, 0.9).toFixed(2)}); median of paired ratios ${pairedRatio.toFixed(3)}`,
    );
    expect(difference).toBeLessThan(MAX_RELATIVE_DIFFERENCE);
  }, 180_000);
});

describeStore('the signature is checked before anything is written', () => {
  const context = useServiceOnFreshStore();
  afterEach(() => jest.restoreAllMocks());

  it('compares every hash before the one write of a callback, forged or authentic', async () => {
    const merchant = await aMerchant(context.store);
    const events: string[] = [];
    jest.spyOn(nodeCrypto, 'timingSafeEqual').mockImplementation((a, b) => {
      events.push('compare');
      return Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array)) === 0;
    });
    const settle = context.store.settle.bind(context.store);
    jest.spyOn(context.store, 'settle').mockImplementation((settlement) => {
      events.push(`write ${settlement.entry.outcome}`);
      return settle(settlement);
    });
    // Re-serialised by an intermediary (`/` unescaped): the exact text and its PHP re-encoding are both tried.
    const data = { number: 'w-1', status: 'Paid', orderid: 'O', url: 'https://pay.example/1' };
    const forged = aCallback({ merchant: { ...merchant, secret: 'guessed' }, data: JSON.stringify(data) });
    expect((await context.service.send(forged.path, forged.init)).status).toBe(401);
    // 2 keys x 2 texts for the data, then 2 keys for the callback URL's signature.
    expect(events).toEqual([...Array(6).fill('compare'), 'write unauthenticated']);

    events.length = 0;
    const authentic = aCallback({ merchant, data });
    expect((await context.service.send(authentic.path, authentic.init)).status).toBe(200);
    // The data's hash and the URL's signature each match the first key.
    expect(events).toEqual(['compare', 'compare', 'write applied']);
  });

  // A 401 is an acknowledgement too: it tells Qvickly the callback was received and judged, and
  // its inbox row (the only trace of a forged or misconfigured callback) must be committed before
  // it is sent. With the store refusing writes, the signature has been checked (on the CPU, before
  // any write), but the verdict cannot be recorded: 503, so the sender retries, and nothing is kept.
  it('answers a forged callback 503, not 401, while writes are refused; the retry is 401 and stored', async () => {
    const merchant = await aMerchant(context.store);
    const forged = aCallback({ merchant: { ...merchant, secret: 'guessed' }, number: 'w-2' });
    const release = await refuseWrites(context.database);
    let refused;
    try {
      refused = await context.service.send(forged.path, forged.init);
    } finally {
      await release();
    }
    expect([refused.status, JSON.parse(refused.text).ResponseStatus.ErrorCode]).toEqual([503, 'ServiceUnavailable']);
    expect(await context.store.listCallbacks({ companyId: merchant.companyId })).toEqual([]);

    expect((await context.service.send(forged.path, forged.init)).status).toBe(401);
    const rows = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(rows.map((row) => [row.number, row.outcome, row.reason])).toEqual([['w-2', 'unauthenticated', 'credentials.hash does not match data']]);
  });
});
