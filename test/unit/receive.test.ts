import type { BoundCallback } from '../../src/ipn/bind';
import { signCallbackUrl } from '../../src/ipn/callback-url';
import { StoreUnavailableError, type Company, type Delivery } from '../../src/ipn/ports';
import { receiveCallback, recordRefusal } from '../../src/ipn/receive';
import { signCallback } from '../../src/client/sign';
import { MemoryCallbackStore } from '../support/memory-store';

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const SECRET = 'unit-secret';
const NOW = '2026-12-01T10:00:00.000Z';

function aCompany(overrides: Partial<Company> = {}): Company {
  return { companyId: COMPANY, secret: SECRET, previous: undefined, callbackUrls: 'signed', merchantId: null, test: false, ...overrides };
}

const delivery: Delivery = { receivedAt: NOW, contentType: 'application/json', contentEncoding: null, query: 'q', body: Buffer.from('b'), remoteAddress: '127.0.0.1' };

/** A bound callback as decode would give it: data signed with `secret`, URL signed with SECRET. */
function aCallback(status: string, options: { number?: string; bookingId?: string; secret?: string; url?: string } = {}): BoundCallback {
  const number = options.number ?? '1001';
  const bookingId = options.bookingId ?? 'B-1';
  const data = { number, status, orderid: 'O-1', url: options.url ?? '' };
  const signed = signCallback(options.secret ?? SECRET, data);
  return {
    companyId: COMPANY,
    bookingId,
    articleTypeId: 1,
    number,
    status,
    orderid: 'O-1',
    url: data.url,
    dataText: signed.signedData,
    hash: signed.hash,
    urlOrderId: undefined,
    urlSignature: signCallbackUrl(SECRET, { companyId: COMPANY, bookingId, articleTypeId: 1 }),
  };
}

describe('receiving a callback (the use case over an in-memory store)', () => {
  let store: MemoryCallbackStore;
  beforeEach(() => {
    store = new MemoryCallbackStore();
    store.companies.set(COMPANY, aCompany());
  });

  it('applies an authentic callback: one settlement with the inbox row, the fingerprint, the payment, its history and its event', async () => {
    const result = await receiveCallback(store, aCallback('Paid'), delivery);
    expect(result).toEqual({ outcome: 'applied', callbackId: 1, number: '1001', status: 'Paid', previousStatus: undefined });
    const [settlement] = store.settlements;
    expect(settlement).toMatchObject({
      entry: { outcome: 'applied', authentic: true, secretUsed: 'current', routing: 'signed', reason: null },
      expectedVersion: 0,
      payment: { change: 'create', state: { status: 'Paid', category: 'settled', routing: 'signed' } },
      history: { status: 'Paid', outcome: 'applied' },
    });
    expect(settlement?.events?.map((event) => [event.type, event.held, event.data.status, event.data.previousStatus])).toEqual([
      ['payment.status_changed', false, 'Paid', null],
    ]);
    expect(settlement?.confirm).toBeUndefined();
  });

  it('refuses a forged callback before anything but its inbox row is written', async () => {
    const result = await receiveCallback(store, aCallback('Paid', { secret: 'guessed' }), delivery);
    expect(result).toMatchObject({ outcome: 'unauthenticated', reason: 'credentials.hash does not match data' });
    expect(store.settlements).toEqual([{ entry: expect.objectContaining({ authentic: false, outcome: 'unauthenticated', secretUsed: null }) }]);
    expect(store.payments.size).toBe(0);
  });

  it('answers a repeat of the same signed data as a duplicate pointing at the first copy, without its body', async () => {
    await receiveCallback(store, aCallback('Paid'), delivery);
    const repeat = await receiveCallback(store, aCallback('Paid'), delivery);
    expect(repeat).toMatchObject({ outcome: 'duplicate', callbackId: 2 });
    expect(store.inbox[1]).toMatchObject({ outcome: 'duplicate', duplicateOf: 1, body: Buffer.alloc(0), query: '' });
    expect(store.settlements[1]?.events).toBeUndefined();
  });

  it('keeps an older status as stale and news after a cancellation as a conflict, with its event', async () => {
    await receiveCallback(store, aCallback('Paid'), delivery);
    expect(await receiveCallback(store, aCallback('Created'), delivery)).toMatchObject({ outcome: 'stale', previousStatus: 'Paid' });
    await receiveCallback(store, aCallback('Cancelled'), delivery);
    const conflict = await receiveCallback(store, aCallback('Credited'), delivery);
    expect(conflict).toMatchObject({ outcome: 'conflict', previousStatus: 'Cancelled' });
    expect(store.settlements.at(-1)?.events?.map((event) => [event.type, event.data.status, event.data.previousStatus])).toEqual([
      ['payment.conflict', 'Credited', 'Cancelled'],
    ]);
  });

  it('refuses a payment already bound to another booking, and an unknown status, without a fingerprint or a payment change', async () => {
    await receiveCallback(store, aCallback('Paid'), delivery);
    expect(await receiveCallback(store, aCallback('Credited', { bookingId: 'B-2' }), delivery)).toMatchObject({ outcome: 'booking_mismatch' });
    expect(await receiveCallback(store, aCallback('Sent'), delivery)).toMatchObject({ outcome: 'unrecognised' });
    expect(store.settlements.slice(1).map((settlement) => [settlement.fingerprint, settlement.payment, settlement.history])).toEqual([
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
    ]);
  });

  it('decides again on a fresh view when the payment moved before the commit', async () => {
    store.interferences = 2;
    expect(await receiveCallback(store, aCallback('Paid'), delivery)).toMatchObject({ outcome: 'applied', callbackId: 1 });
    expect(store.settlements).toHaveLength(1);
  });

  it('gives up with a 503-worthy error when the payment keeps moving', async () => {
    store.interferences = 1000;
    await expect(receiveCallback(store, aCallback('Paid'), delivery)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.settlements).toEqual([]);
  });

  it('queues a confirmation for a company with a merchant id, and holds the event of a settled payment for it', async () => {
    store.companies.set(COMPANY, aCompany({ merchantId: '12345' }));
    await receiveCallback(store, aCallback('Created'), delivery);
    await receiveCallback(store, aCallback('Paid'), delivery);
    expect(store.settlements.map((settlement) => [settlement.confirm, settlement.events?.[0]?.held, settlement.events?.[0]?.data.confirmation?.state])).toEqual([
      [{ queuedAt: NOW }, false, 'pending'],
      [{ queuedAt: NOW }, true, 'pending'],
    ]);
  });

  it('records a forged callback with what it claims: company, booking, article type, number and status', async () => {
    await receiveCallback(store, aCallback('Paid', { secret: 'guessed', number: '2002', bookingId: 'B-9' }), delivery);
    expect(store.inbox[0]).toMatchObject({ companyId: COMPANY, bookingId: 'B-9', articleTypeId: 1, number: '2002', status: 'Paid', outcome: 'unauthenticated' });
  });

  it('does not queue a confirmation for a company without a merchant id', async () => {
    await receiveCallback(store, aCallback('Paid'), delivery);
    expect(store.settlements[0]?.confirm).toBeUndefined();
    expect(store.settlements[0]?.events?.[0]).toMatchObject({ held: false, data: { confirmation: null } });
  });

  it('gives up with 503 (StoreUnavailableError) when the payment keeps changing under it', async () => {
    store.interferences = 100;
    await expect(receiveCallback(store, aCallback('Paid', { number: '3003' }), delivery)).rejects.toThrow(new StoreUnavailableError('payment 3003 kept changing while settling'));
  });

  it('records the reason of an undeserializable or invalid body: the parser detail, or the field messages joined, at most 1000 characters', async () => {
    const claims = { companyId: COMPANY, bookingId: 'B-1', articleTypeId: 1, number: null, status: null };
    const broken = await recordRefusal(store, delivery, { kind: 'undeserializable', mediaType: 'application/json', detail: `ValueExpected ${'x'.repeat(2000)}` }, claims);
    expect(broken).toMatchObject({ outcome: 'undeserializable', reason: `ValueExpected ${'x'.repeat(2000)}`.slice(0, 1000) });
    const errors = [
      { ErrorCode: 'NotEmpty', FieldName: 'BookingId', Message: "'BookingId' must not be empty" },
      { ErrorCode: 'NotEmpty', FieldName: 'Data', Message: "'Data' must not be empty" },
    ];
    const invalid = await recordRefusal(store, delivery, { kind: 'invalid', errors }, claims);
    expect(invalid).toMatchObject({ outcome: 'invalid', reason: "'BookingId' must not be empty; 'Data' must not be empty" });
    const many = Array.from({ length: 60 }, () => errors[0] as (typeof errors)[number]);
    expect((await recordRefusal(store, delivery, { kind: 'invalid', errors: many }, claims)).reason).toHaveLength(1000);
  });

  it('refuses a payment number bound to another booking or article type (booking_mismatch), naming the binding', async () => {
    await receiveCallback(store, aCallback('Created', { number: '4004' }), delivery);
    const otherBooking = await receiveCallback(store, aCallback('Paid', { number: '4004', bookingId: 'B-2' }), delivery);
    expect(otherBooking).toMatchObject({ outcome: 'booking_mismatch', reason: 'payment is bound to booking B-1, article type 1' });
    const urlSignature = signCallbackUrl(SECRET, { companyId: COMPANY, bookingId: 'B-1', articleTypeId: 2 });
    const otherArticle = await receiveCallback(store, { ...aCallback('Paid', { number: '4004' }), articleTypeId: 2, urlSignature }, delivery);
    expect(otherArticle).toMatchObject({ outcome: 'booking_mismatch' });
    expect(store.inbox.map((row) => row.outcome)).toEqual(['applied', 'booking_mismatch', 'booking_mismatch']);
    expect(store.payments.get(`${COMPANY}\u00004004`)?.payment.status).toBe('Created');
  });

  it('records an unknown status as unrecognised, naming it, without a payment', async () => {
    const result = await receiveCallback(store, aCallback('Weird', { number: '4005' }), delivery);
    expect(result).toMatchObject({ outcome: 'unrecognised', reason: "unknown status 'Weird'" });
    expect(store.inbox[0]).toMatchObject({ outcome: 'unrecognised', reason: "unknown status 'Weird'" });
    expect(store.payments.size).toBe(0);
  });

  it('updates an existing payment (not create), keeps a signed routing once signed, and sends no event for a stale status', async () => {
    store.companies.set(COMPANY, aCompany({ callbackUrls: 'any' }));
    await receiveCallback(store, aCallback('Paid', { number: '4006' }), delivery);
    const unsigned = { ...aCallback('Credited', { number: '4006' }), urlSignature: undefined };
    await receiveCallback(store, unsigned, delivery);
    expect(store.settlements[1]?.payment).toMatchObject({ change: 'update', state: { status: 'Credited', routing: 'signed' } });
    expect(await receiveCallback(store, aCallback('Created', { number: '4006' }), delivery)).toMatchObject({ outcome: 'stale' });
    expect(store.settlements[2]?.events).toBeUndefined();
  });

  it('sends payment.conflict for news after the payment ended', async () => {
    await receiveCallback(store, aCallback('Cancelled', { number: '4007' }), delivery);
    expect(await receiveCallback(store, aCallback('Paid', { number: '4007' }), delivery)).toMatchObject({ outcome: 'conflict' });
    expect(store.settlements[1]?.events?.map((event) => [event.type, event.data.status, event.data.previousStatus])).toEqual([['payment.conflict', 'Paid', 'Cancelled']]);
  });

  it('records a refused delivery with its reason and what it said about itself', async () => {
    const claims = { companyId: COMPANY, bookingId: 'B-1', articleTypeId: null, number: null, status: null };
    const result = await recordRefusal(store, delivery, { kind: 'unsupported', mediaType: 'application/xml', reason: "Content-Type 'application/xml' is not supported" }, claims);
    expect(result).toEqual({ outcome: 'unsupported', callbackId: 1, reason: "Content-Type 'application/xml' is not supported" });
    expect(store.inbox[0]).toMatchObject({ ...claims, authentic: false, outcome: 'unsupported', body: delivery.body });
  });
});
