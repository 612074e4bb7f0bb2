import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { FORMAT_MEDIA_TYPES, responseExample } from '../support/contract-examples';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';
import { refuseWrites } from '../support/unwritable';

type Format = keyof typeof FORMAT_MEDIA_TYPES;
const FORMATS: Format[] = ['json', 'xml', 'csv', 'jsv'];

/** The three ways to pick a format, cycled so each is used for every answer kind. */
function formatted(path: string, format: Format, way: number): { path: string; headers: Record<string, string> } {
  const [route = '', query = ''] = path.split('?');
  if (way % 3 === 0) return { path: `${route}.${format}?${query}`, headers: {} };
  if (way % 3 === 1) return { path: `${route}?${query}&format=${format}`, headers: {} };
  return { path, headers: { Accept: FORMAT_MEDIA_TYPES[format] } };
}

function documented(response: string, format: Format, example: string): string {
  const value = responseExample(response, FORMAT_MEDIA_TYPES[format], example);
  return format === 'json' ? JSON.stringify(value) : String(value);
}

describeStore("every answer is the contract's example, in every format", () => {
  const context = useServiceOnFreshStore();

  /** Sends a signed callback for payment 810652 (the examples' number) in a format. */
  async function send(merchant: Merchant, status: string, format: Format, way: number, bookingId = 'booking-1') {
    const callback = aCallback({ merchant, number: '810652', status, bookingId });
    const { path, headers } = formatted(callback.path, format, way);
    return context.service.send(path, { ...callback.init, headers: { ...callback.init.headers, ...headers } });
  }

  describe.each(FORMATS.map((format, way) => [format, way] as const))('%s', (format, way) => {
    it('applied, duplicate and stale', async () => {
      const merchant = await aMerchant(context.store);
      const applied = await send(merchant, 'Paid', format, way);
      expect([applied.status, applied.text]).toEqual([200, documented('CallbackReceived', format, 'applied')]);
      expect(applied.headers.get('content-type')).toBe(format === 'json' ? 'application/json; charset=utf-8' : FORMAT_MEDIA_TYPES[format]);
      expect(applied.headers.get('content-disposition')).toBe(
        format === 'csv' ? 'attachment;filename="QvicklyCheckoutIpnCallBack.csv"' : null,
      );
      const duplicate = await send(merchant, 'Paid', format, way + 1);
      expect([duplicate.status, duplicate.text]).toEqual([200, documented('CallbackReceived', format, 'duplicate')]);
      const stale = await send(merchant, 'Created', format, way + 2);
      expect([stale.status, stale.text]).toEqual([200, documented('CallbackReceived', format, 'stale')]);
    });

    it('conflict and unrecognised', async () => {
      const merchant = await aMerchant(context.store);
      expect((await send(merchant, 'Cancelled', format, way)).status).toBe(200);
      const conflict = await send(merchant, 'Paid', format, way + 1);
      expect([conflict.status, conflict.text]).toEqual([200, documented('CallbackReceived', format, 'conflict')]);
      const unrecognised = await send(merchant, 'Sent', format, way + 2);
      expect([unrecognised.status, unrecognised.text]).toEqual([200, documented('CallbackReceived', format, 'unrecognised')]);
    });

    it('401 for an unsigned callback and 409 for a payment bound to another booking', async () => {
      const merchant = await aMerchant(context.store);
      const forged = aCallback({ merchant: { ...merchant, secret: 'not-the-secret' } });
      const target = formatted(forged.path, format, way);
      const unauthenticated = await context.service.send(target.path, {
        ...forged.init,
        headers: { ...forged.init.headers, ...target.headers },
      });
      expect([unauthenticated.status, unauthenticated.text]).toEqual([401, documented('NotAuthenticated', format, 'notAuthenticated')]);

      expect((await send(merchant, 'Paid', format, way, 'booking-A')).status).toBe(200);
      const elsewhere = await send(merchant, 'Paid', format, way + 1, 'booking-B');
      expect([elsewhere.status, elsewhere.text]).toEqual([409, documented('PaymentBoundElsewhere', format, 'boundElsewhere')]);
    });

    it('400 naming the field, 413, 415 and 405', async () => {
      const merchant = await aMerchant(context.store);
      const callback = aCallback({ merchant });
      const badQuery = formatted(callback.path.replace('ArticleTypeId=1', 'ArticleTypeId=abc'), format, way);
      const invalid = await context.service.send(badQuery.path, { ...callback.init, headers: { ...callback.init.headers, ...badQuery.headers } });
      expect([invalid.status, invalid.text]).toEqual([400, documented('BadRequest', format, 'invalidArticleTypeId')]);

      const target = formatted(callback.path, format, way);
      const tooLarge = await context.service.send(target.path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...target.headers },
        body: `{"data":"${'x'.repeat(70_000)}"}`,
      });
      expect([tooLarge.status, tooLarge.text]).toEqual([413, documented('PayloadTooLarge', format, 'tooLarge')]);

      const xml = await context.service.send(target.path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/xml', ...target.headers },
        body: String(callback.init.body),
      });
      expect([xml.status, xml.text]).toEqual([415, documented('UnsupportedMediaType', format, 'unsupported')]);

      const get = await context.service.send(target.path, { method: 'GET', headers: target.headers });
      expect([get.status, get.text, get.headers.get('allow')]).toEqual([405, documented('OtherError', format, 'methodNotAllowed'), 'POST']);
    });

    it('503 while the store cannot write, nothing acknowledged; the retry then succeeds', async () => {
      const merchant = await aMerchant(context.store);
      const release = await refuseWrites(context.database);
      let refused;
      try {
        refused = await send(merchant, 'Paid', format, way);
      } finally {
        await release();
      }
      expect([refused.status, refused.text]).toEqual([503, documented('StoreUnavailable', format, 'storeUnavailable')]);
      expect(await context.store.findPayment(merchant.companyId, '810652')).toBeUndefined();
      expect(await context.store.listCallbacks({ companyId: merchant.companyId })).toEqual([]);

      const retried = await send(merchant, 'Paid', format, way);
      expect([retried.status, retried.text]).toEqual([200, documented('CallbackReceived', format, 'applied')]);
    });
  });

  it("answers the metadata page's sample request (a PascalCase body without credentials) with 401", async () => {
    const sample =
      '{"CompanyId":"00000000-0000-0000-0000-000000000000","BookingId":"String","Data":{"number":"String","status":"String","orderid":"String","url":"String"},"ArticleTypeId":0}';
    const answer = await context.service.send('/payment/billmate/v1/ipncallback', {
      method: 'POST',
      headers: { Accept: 'text/csv', 'Content-Type': 'application/json' },
      body: sample,
    });
    expect([answer.status, answer.text]).toEqual([401, documented('NotAuthenticated', 'csv', 'notAuthenticated')]);
    // Sent exactly as the page shows it (a JSON body labelled text/csv), the content type is refused.
    const literal = await context.service.send('/payment/billmate/v1/ipncallback', {
      method: 'POST',
      headers: { Accept: 'text/csv', 'Content-Type': 'text/csv' },
      body: sample,
    });
    expect(literal.status).toBe(415);
    expect(literal.text).toBe(
      "ResponseStatus\r\n\"{ErrorCode:UnsupportedMediaType,Message:Content-Type 'text/csv' is not supported; send application/json or application/x-www-form-urlencoded,Errors:[]}\"\r\n",
    );
  });

  it('404 for a route suffix that names no format', async () => {
    const answer = await context.service.send('/payment/billmate/v1/ipncallback.html', { method: 'POST', body: '{}' });
    expect([answer.status, answer.text]).toEqual([404, documented('OtherError', 'json', 'notFound')]);
    expect((await context.service.send('/payment/billmate/v1/ipncallback.CSV', { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('400 for a body that is not JSON, with the parser position', async () => {
    const answer = await context.service.send('/payment/billmate/v1/ipncallback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"credentials":{"hash":"ab"',
    });
    expect([answer.status, answer.text]).toEqual([400, documented('BadRequest', 'json', 'malformedJson')]);
  });
});
