import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

/**
 * Qvickly sometimes sends `data.number` as a JSON integer. JSON.parse rounds integers beyond
 * 2^53 (9007199254740993 becomes 9007199254740992), so a number taken from the parsed value
 * would name another payment. It must be taken from the signed text, everywhere.
 */
describeStore('payment numbers sent as JSON integers beyond 2^53', () => {
  const context = useServiceOnFreshStore();
  let merchant: Merchant;
  beforeAll(async () => {
    merchant = await aMerchant(context.store);
  });

  it.each([
    ['9007199254740993', 'json'],
    ['123456789012345678901234567890', 'json'],
    ['9007199254740995', 'form'],
  ] as const)('stores and answers %s exactly, in the payment, inbox, history and message; a repeat is its duplicate (%s body)', async (number, encoding) => {
    // What a number taken from the parsed value would be: 9007199254740992, 1.2345678901234568e+29, 9007199254740996.
    const rounded = String(JSON.parse(number));
    expect(rounded).not.toBe(number);
    const data = `{"number":${number},"status":"Paid","orderid":"O-${number.length}","url":""}`;
    const callback = aCallback({ merchant, data, encoding });

    const first = await context.service.send(callback.path, callback.init);
    expect([first.status, first.text]).toEqual([200, `{"Message":"Payment ${number} is now Paid","Success":true}`]);
    const repeat = await context.service.send(callback.path, callback.init);
    expect([repeat.status, repeat.text]).toEqual([
      200,
      `{"Message":"Callback already received for payment ${number}; nothing changed","Success":true}`,
    ]);

    const payment = await context.store.findPayment(merchant.companyId, number);
    expect(payment).toMatchObject({ number, status: 'Paid', category: 'settled', orderid: `O-${number.length}` });
    expect(payment?.history.map((entry) => [entry.status, entry.outcome])).toEqual([['Paid', 'applied']]);
    expect(await context.store.findPayment(merchant.companyId, rounded)).toBeUndefined();

    const rows = (await context.store.listCallbacks({ companyId: merchant.companyId, limit: 2 })).reverse();
    expect(rows.map((row) => [row.number, row.outcome, row.duplicateOf])).toEqual([
      [number, 'applied', null],
      [number, 'duplicate', rows[0]?.callbackId],
    ]);
    expect(payment?.history[0]?.callbackId).toBe(rows[0]?.callbackId);
    expect(rows[0]?.body.toString('utf8')).toContain(`${number}`);
  });

  it('keeps the integer and the quoted spelling of one number as one payment', async () => {
    const number = '9007199254740997';
    const asInteger = aCallback({ merchant, data: `{"number":${number},"status":"Pending","orderid":"O","url":""}` });
    const asText = aCallback({ merchant, data: `{"number":"${number}","status":"Paid","orderid":"O","url":""}` });
    expect((await context.service.send(asInteger.path, asInteger.init)).text).toBe(`{"Message":"Payment ${number} is now Pending","Success":true}`);
    expect((await context.service.send(asText.path, asText.init)).text).toBe(`{"Message":"Payment ${number} is now Paid","Success":true}`);
    const payment = await context.store.findPayment(merchant.companyId, number);
    expect(payment?.history.map((entry) => [entry.status, entry.outcome])).toEqual([
      ['Pending', 'applied'],
      ['Paid', 'applied'],
    ]);
  });
});
