import { generateTestCallback } from '../../src/client/sign';
import { loadContract, type Contract } from '../../src/contract';
import { describeOutcome, type CallbackResult } from '../../src/ipn/outcome';
import type { Delivery } from '../../src/ipn/ports';
import { recordRefusal, receiveCallback } from '../../src/ipn/receive';
import { decodeCallback } from '../../src/ipn/decode';
import { replayCallback } from '../../src/ipn/replay';
import { MemoryCallbackStore } from '../support/memory-store';

// `inbox replay`: a stored callback through the same decoding and use case as a live one.

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const SECRET = 'replay-secret';
const THEN = '2026-12-01T10:00:00.000Z';
const LATER = new Date('2026-12-01T11:00:00.000Z');

let contract: Contract;
beforeAll(async () => {
  contract = await loadContract();
});

function aDelivery(status: string, contentType = 'application/json'): Delivery {
  const request = generateTestCallback({ secret: SECRET, companyId: COMPANY, bookingId: 'B-1', articleTypeId: 1, data: { number: '5001', status, orderid: 'O-1', url: '' } });
  const query = request.path.slice(request.path.indexOf('?') + 1);
  return { receivedAt: THEN, contentType, contentEncoding: null, query, body: Buffer.from(request.body), remoteAddress: '127.0.0.1' };
}

/** What the live route does with a delivery: decode, then the use case or the refusal. */
async function receive(store: MemoryCallbackStore, delivery: Delivery): Promise<CallbackResult> {
  const decoded = decodeCallback(contract.requestDto, delivery);
  return decoded.ok ? receiveCallback(store, decoded.callback, delivery) : recordRefusal(store, delivery, decoded.refusal, decoded.claims);
}

describe('replayCallback', () => {
  let store: MemoryCallbackStore;
  beforeEach(() => {
    store = new MemoryCallbackStore();
  });
  const company = () => store.companies.set(COMPANY, { companyId: COMPANY, secret: SECRET, previous: undefined, callbackUrls: 'signed', merchantId: null, test: false });

  it('applies a callback refused before its company had a secret, as a new row pointing at the original', async () => {
    expect(await receive(store, aDelivery('Paid'))).toMatchObject({ outcome: 'unauthenticated', callbackId: 1 });
    company();
    const replay = await replayCallback(contract.requestDto, store, 1, { now: () => LATER });
    expect(replay).toEqual({ ok: true, result: { outcome: 'applied', callbackId: 2, number: '5001', status: 'Paid', previousStatus: undefined } });
    expect(store.inbox.map((row) => [row.callbackId, row.outcome, row.replayOf, row.receivedAt])).toEqual([
      [1, 'unauthenticated', null, THEN],
      [2, 'applied', 1, LATER.toISOString()],
    ]);
  });

  it('replays a duplicate from its first copy (which holds the body)', async () => {
    company();
    await receive(store, aDelivery('Paid'));
    expect(await receive(store, aDelivery('Paid'))).toMatchObject({ outcome: 'duplicate', callbackId: 2 });
    expect(store.inbox[1]).toMatchObject({ duplicateOf: 1 });
    expect(await replayCallback(contract.requestDto, store, 2)).toMatchObject({ ok: true, result: { outcome: 'duplicate', callbackId: 3 } });
    expect(store.inbox[2]).toMatchObject({ replayOf: 2, outcome: 'duplicate' });
  });

  it('decodes a row refused with 415 as the Content-Type given, else says why not', async () => {
    company();
    expect(await receive(store, aDelivery('Paid', 'application/vnd.qvickly'))).toMatchObject({ outcome: 'unsupported', callbackId: 1 });
    expect(await replayCallback(contract.requestDto, store, 1)).toEqual({ ok: false, problem: "Content-Type 'application/vnd.qvickly' is not supported" });
    expect(await replayCallback(contract.requestDto, store, 1, { contentType: 'application/json' })).toMatchObject({ ok: true, result: { outcome: 'applied' } });
  });

  it('names the problem of a row that still cannot be bound, an unknown id, and a missing first copy', async () => {
    await receive(store, { ...aDelivery('Paid'), body: Buffer.from('{"credentials":') });
    expect(await replayCallback(contract.requestDto, store, 1)).toEqual({ ok: false, problem: 'application/json: ValueExpected at position 15' });
    await receive(store, { ...aDelivery('Paid'), body: Buffer.from('{}') });
    expect(await replayCallback(contract.requestDto, store, 2)).toEqual({ ok: false, problem: "'Data' must not be empty" });
    expect(await replayCallback(contract.requestDto, store, 99)).toEqual({ ok: false, problem: 'No callback 99 in the inbox' });
    store.inbox.push({ ...(store.inbox[0] as (typeof store.inbox)[number]), callbackId: 3, duplicateOf: 42 });
    expect(await replayCallback(contract.requestDto, store, 3)).toEqual({ ok: false, problem: 'Callback 3 repeats callback 42, which is no longer in the inbox' });
  });
});

describe('describeOutcome', () => {
  it.each([
    [{ outcome: 'applied', number: '5', status: 'Paid' }, 'Payment 5 is now Paid'],
    [{ outcome: 'duplicate', number: '5' }, 'Callback already received for payment 5; nothing changed'],
    [{ outcome: 'stale', number: '5', status: 'Created', previousStatus: 'Paid' }, 'Payment 5 is already Paid; Created was recorded but not applied'],
    [{ outcome: 'conflict', number: '5', status: 'Paid', previousStatus: 'Cancelled' }, 'Payment 5 is already Cancelled; Paid was recorded for review but not applied'],
    [{ outcome: 'unrecognised', number: '5', status: 'Odd' }, "Unrecognised payment status 'Odd'; recorded, payment 5 not changed"],
    [{ outcome: 'booking_mismatch', number: '5' }, 'Payment 5 is already bound to another booking'],
    [{ outcome: 'unauthenticated' }, 'The callback could not be authenticated'],
    [{ outcome: 'invalid' }, 'The callback could not be bound'],
    [{ outcome: 'undeserializable' }, 'The callback could not be bound'],
    [{ outcome: 'unsupported' }, 'The callback is in a format that is not supported'],
  ] as const)('%o says %p', (result, message) => {
    expect(describeOutcome({ callbackId: 1, ...result })).toBe(message);
  });
});
