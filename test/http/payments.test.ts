import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { useServiceOnFreshStore } from '../support/suite';
import { describeStore, engine } from '../support/stores';

describeStore('what a callback does to the stored payment', () => {
  const context = useServiceOnFreshStore();

  async function post(merchant: Merchant, status: string, extra: { number?: string; bookingId?: string; articleTypeId?: number } = {}) {
    const callback = aCallback({ merchant, status, number: extra.number ?? '1001', ...extra });
    return context.service.send(callback.path, callback.init);
  }

  const historyOf = async (merchant: Merchant, number = '1001') =>
    (await context.store.findPayment(merchant.companyId, number))?.history.map(({ status, outcome }) => `${status}:${outcome}`);

  it('moves forward through every category, one history entry per change', async () => {
    const merchant = await aMerchant(context.store);
    for (const status of ['WaitingForPurchase', 'Pending', 'Created', 'Paid', 'Credited']) {
      expect((await post(merchant, status)).text).toBe(`{"Message":"Payment 1001 is now ${status}","Success":true}`);
    }
    const payment = await context.store.findPayment(merchant.companyId, '1001');
    expect(payment).toMatchObject({ status: 'Credited', category: 'refunded', bookingId: 'booking-1', articleTypeId: 1, orderid: 'P123', url: '' });
    expect(await historyOf(merchant)).toEqual([
      'WaitingForPurchase:applied',
      'Pending:applied',
      'Created:applied',
      'Paid:applied',
      'Credited:applied',
    ]);
  });

  it('keeps the later state when an older status arrives late, and records it as stale', async () => {
    const merchant = await aMerchant(context.store);
    await post(merchant, 'Paid');
    const late = await post(merchant, 'Created');
    expect(late.text).toBe('{"Message":"Payment 1001 is already Paid; Created was recorded but not applied","Success":true}');
    expect(await context.store.findPayment(merchant.companyId, '1001')).toMatchObject({ status: 'Paid', category: 'settled' });
    expect(await historyOf(merchant)).toEqual(['Paid:applied', 'Created:stale']);
  });

  it('applies another status of the same rank, and a cancellation of a settled payment', async () => {
    const merchant = await aMerchant(context.store);
    await post(merchant, 'Paid');
    expect((await post(merchant, 'Factoring')).status).toBe(200);
    expect((await post(merchant, 'Cancelled')).text).toBe('{"Message":"Payment 1001 is now Cancelled","Success":true}');
    expect(await historyOf(merchant)).toEqual(['Paid:applied', 'Factoring:applied', 'Cancelled:applied']);
  });

  it('never revives a cancelled payment: later news is a conflict for review', async () => {
    const merchant = await aMerchant(context.store);
    await post(merchant, 'Cancelled');
    const paid = await post(merchant, 'Paid');
    expect(paid.text).toBe('{"Message":"Payment 1001 is already Cancelled; Paid was recorded for review but not applied","Success":true}');
    expect((await post(merchant, 'Canceled')).text).toBe(
      '{"Message":"Payment 1001 is already Cancelled; Canceled was recorded but not applied","Success":true}',
    );
    expect(await context.store.findPayment(merchant.companyId, '1001')).toMatchObject({ status: 'Cancelled', category: 'cancelled' });
    expect(await historyOf(merchant)).toEqual(['Cancelled:applied', 'Paid:conflict', 'Canceled:stale']);
    const conflicts = await context.store.listCallbacks({ companyId: merchant.companyId, outcome: 'conflict' });
    expect(conflicts.map((row) => row.status)).toEqual(['Paid']);
  });

  it('answers an identical repeat as a duplicate: stored in the inbox, no new history entry', async () => {
    const merchant = await aMerchant(context.store);
    await post(merchant, 'Paid');
    const repeat = await post(merchant, 'Paid');
    expect(repeat.text).toBe('{"Message":"Callback already received for payment 1001; nothing changed","Success":true}');
    expect(await historyOf(merchant)).toEqual(['Paid:applied']);
    const inbox = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(inbox.map((row) => row.outcome)).toEqual(['duplicate', 'applied']);
  });

  it('matches statuses case-insensitively and stores them as sent', async () => {
    const merchant = await aMerchant(context.store);
    await post(merchant, 'pending');
    await post(merchant, 'PAID');
    expect(await context.store.findPayment(merchant.companyId, '1001')).toMatchObject({ status: 'PAID', category: 'settled' });
  });

  it('records an unknown status without creating or changing the payment', async () => {
    const merchant = await aMerchant(context.store);
    const sent = await post(merchant, 'Sent');
    expect(sent.text).toBe("{\"Message\":\"Unrecognised payment status 'Sent'; recorded, payment 1001 not changed\",\"Success\":false}");
    expect(await context.store.findPayment(merchant.companyId, '1001')).toBeUndefined();
    await post(merchant, 'Paid');
    expect((await post(merchant, 'E-brev')).status).toBe(200);
    expect(await historyOf(merchant)).toEqual(['Paid:applied']);
  });

  it('binds a payment to its first booking and article type and refuses the others with 409', async () => {
    const merchant = await aMerchant(context.store);
    await post(merchant, 'Created', { bookingId: 'B-1', articleTypeId: 1 });
    expect((await post(merchant, 'Paid', { bookingId: 'B-2', articleTypeId: 1 })).status).toBe(409);
    expect((await post(merchant, 'Paid', { bookingId: 'B-1', articleTypeId: 2 })).status).toBe(409);
    expect(await context.store.findPayment(merchant.companyId, '1001')).toMatchObject({
      status: 'Created',
      bookingId: 'B-1',
      articleTypeId: 1,
    });
    const refused = await context.store.listCallbacks({ companyId: merchant.companyId, outcome: 'booking_mismatch' });
    expect(refused.map((row) => [row.bookingId, row.articleTypeId, row.reason])).toEqual([
      ['B-1', 2, 'payment is bound to booking B-1, article type 1'],
      ['B-2', 1, 'payment is bound to booking B-1, article type 1'],
    ]);
    // The right booking still gets through.
    expect((await post(merchant, 'Paid', { bookingId: 'B-1', articleTypeId: 1 })).status).toBe(200);
  });

  it('keeps payments of different companies apart, even with the same number', async () => {
    const first = await aMerchant(context.store);
    const second = await aMerchant(context.store);
    await post(first, 'Paid', { bookingId: 'B-1' });
    expect((await post(second, 'Pending', { bookingId: 'B-9' })).status).toBe(200);
    expect(await context.store.findPayment(first.companyId, '1001')).toMatchObject({ status: 'Paid', bookingId: 'B-1' });
    expect(await context.store.findPayment(second.companyId, '1001')).toMatchObject({ status: 'Pending', bookingId: 'B-9' });
  });

  it('accepts number sent as a JSON integer', async () => {
    const merchant = await aMerchant(context.store);
    const callback = aCallback({ merchant, data: { number: 424242, status: 'Paid', orderid: 'O-1', url: '' } });
    expect((await context.service.send(callback.path, callback.init)).text).toBe('{"Message":"Payment 424242 is now Paid","Success":true}');
    expect(await context.store.findPayment(merchant.companyId, '424242')).toMatchObject({ number: '424242', status: 'Paid' });
  });

  it('stores every callback it answered, with what arrived', async () => {
    const merchant = await aMerchant(context.store);
    const callback = aCallback({ merchant, status: 'Paid', number: '77' });
    await context.service.send(callback.path, callback.init);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(row).toMatchObject({
      companyId: merchant.companyId,
      bookingId: 'booking-1',
      articleTypeId: 1,
      number: '77',
      status: 'Paid',
      contentType: 'application/json',
      query: callback.path.split('?')[1],
      authentic: true,
      outcome: 'applied',
      reason: null,
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(row?.body.toString('utf8')).toBe(callback.init.body);
  });

  it('stores an authentic callback whose data holds a NUL character instead of refusing it', async () => {
    const merchant = await aMerchant(context.store);
    const callback = aCallback({ merchant, data: { number: 'n\u0000ul', status: 'Paid', orderid: 'O\u0000', url: '' } });
    const answer = await context.service.send(callback.path, callback.init);
    expect(answer.status).toBe(200);
    // PostgreSQL text cannot hold U+0000: it is kept as U+FFFD there; the raw body keeps the original.
    const stored = engine === 'postgres' ? 'n\uFFFDul' : 'n\u0000ul';
    expect(await context.store.findPayment(merchant.companyId, stored)).toMatchObject({ status: 'Paid' });
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(row?.body.toString('utf8')).toBe(callback.init.body);
    expect((await context.service.send(callback.path, callback.init)).text).toContain('Callback already received');
  });
});
