import { createHmac } from 'node:crypto';
import { callbackUrl, signCallback } from '../../src/client/sign';
import { aMerchant, type Merchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const UNAUTHENTICATED = '{"ResponseStatus":{"ErrorCode":"Unauthorized","Message":"The callback could not be authenticated","Errors":[]}}';

/** The URL signature computed here from its definition, independently of the service's code. */
function independentSignature(secret: string, companyId: string, bookingId: string, articleTypeId: number, orderId = ''): string {
  const text = `qvickly-ipn:callbackurl:v1\n${companyId.toLowerCase()}\n${bookingId}\n${articleTypeId}\n${orderId}`;
  return createHmac('sha256', secret).update(text).digest('hex');
}

describeStore('signed callback URLs', () => {
  const context = useServiceOnFreshStore();
  const paid = (number: string, orderid = 'O-1') => ({ number, status: 'Paid', orderid, url: '' });

  async function post(path: string, secret: string, data: Record<string, unknown>) {
    const signed = signCallback(secret, data);
    return context.service.send(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: signed.jsonBody });
  }

  it('signs the URL as its definition says: the client and an independent computation agree', () => {
    const url = callbackUrl({ secret: 's3cret', companyId: '7C9E6679-7425-40DE-944B-E07FC1F90AE7', bookingId: 'B 1&2', articleTypeId: 7, orderId: 'P-9' });
    expect(url).toBe(
      'https://api.bokamera.se/payment/billmate/v1/ipncallback?CompanyId=7C9E6679-7425-40DE-944B-E07FC1F90AE7&BookingId=B+1%262&ArticleTypeId=7&OrderId=P-9' +
        `&Signature=${independentSignature('s3cret', '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'B 1&2', 7, 'P-9')}`,
    );
  });

  it('refuses a genuinely signed payment re-targeted to another booking by an unsigned URL, and records why', async () => {
    const merchant = await aMerchant(context.store);
    const attack = await post(`/payment/billmate/v1/ipncallback?CompanyId=${merchant.companyId}&BookingId=attacker-999&ArticleTypeId=1`, merchant.secret, paid('cu-1'));
    expect([attack.status, attack.text]).toEqual([401, UNAUTHENTICATED]);
    // The signature of the real URL does not carry over to another booking either.
    const real = callbackUrl({ secret: merchant.secret, companyId: merchant.companyId, bookingId: 'B-real', articleTypeId: 1, base: '' });
    const moved = await post(real.replace('BookingId=B-real', 'BookingId=attacker-999'), merchant.secret, paid('cu-1'));
    expect([moved.status, moved.text]).toEqual([401, UNAUTHENTICATED]);
    expect(await context.store.findPayment(merchant.companyId, 'cu-1')).toBeUndefined();
    const rows = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(rows.map((row) => [row.bookingId, row.outcome, row.reason, row.authentic])).toEqual([
      ['attacker-999', 'unauthenticated', 'the callback URL signature does not match', false],
      ['attacker-999', 'unauthenticated', 'the callback URL is not signed', false],
    ]);

    // Qvickly's own callback, on the URL BokaMera gave it, is then applied to the right booking.
    const genuine = await post(real, merchant.secret, paid('cu-1'));
    expect([genuine.status, genuine.text]).toEqual([200, '{"Message":"Payment cu-1 is now Paid","Success":true}']);
    expect(await context.store.findPayment(merchant.companyId, 'cu-1')).toMatchObject({ bookingId: 'B-real', routing: 'signed' });
    expect((await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 }))[0]).toMatchObject({ routing: 'signed' });
  });

  it("binds a URL's OrderId to the payment: data.orderid must equal it", async () => {
    const merchant = await aMerchant(context.store);
    const url = callbackUrl({ secret: merchant.secret, companyId: merchant.companyId, bookingId: 'B-2', articleTypeId: 1, orderId: 'P-1000', base: '' });
    const other = await post(url, merchant.secret, paid('cu-2', 'P-2000'));
    expect([other.status, other.text]).toEqual([401, UNAUTHENTICATED]);
    expect((await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 }))[0]?.reason).toBe("data.orderid is not the callback URL's signed OrderId");
    expect((await post(url, merchant.secret, paid('cu-2', 'P-1000'))).status).toBe(200);
  });

  it("takes unsigned URLs from a company that allows them, records them as unsigned, and still refuses a wrong signature", async () => {
    const merchant: Merchant = await aMerchant(context.store, undefined, { callbackUrls: 'any' });
    const unsigned = `/payment/billmate/v1/ipncallback?CompanyId=${merchant.companyId}&BookingId=B-3&ArticleTypeId=1`;
    expect((await post(unsigned, merchant.secret, paid('cu-3'))).status).toBe(200);
    expect(await context.store.findPayment(merchant.companyId, 'cu-3')).toMatchObject({ routing: 'unsigned' });
    expect((await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 }))[0]).toMatchObject({ routing: 'unsigned' });
    const wrong = await post(`${unsigned}&Signature=${'0'.repeat(64)}`, merchant.secret, paid('cu-4'));
    expect([wrong.status, wrong.text]).toEqual([401, UNAUTHENTICATED]);
    // A later callback on the signed URL confirms the booking the payment was bound to.
    const signed = callbackUrl({ secret: merchant.secret, companyId: merchant.companyId, bookingId: 'B-3', articleTypeId: 1, base: '' });
    expect((await post(signed, merchant.secret, { ...paid('cu-3'), status: 'Credited' })).status).toBe(200);
    expect(await context.store.findPayment(merchant.companyId, 'cu-3')).toMatchObject({ status: 'Credited', routing: 'signed' });
  });

  it('accepts a URL signed with the previous secret during a rotation', async () => {
    const merchant = await aMerchant(context.store, 'before-rotation');
    const url = callbackUrl({ secret: 'before-rotation', companyId: merchant.companyId, bookingId: 'B-5', articleTypeId: 1, base: '' });
    await context.store.changeCompany({
      companyId: merchant.companyId,
      secret: 'after-rotation',
      keepPreviousUntil: new Date(Date.now() + 86_400_000).toISOString(),
      now: new Date().toISOString(),
    });
    expect((await post(url, 'after-rotation', paid('cu-5'))).status).toBe(200);
  });
});
