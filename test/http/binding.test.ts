import { signCallback } from '../../src/client/sign';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const ROUTE = '/payment/billmate/v1/ipncallback';

describeStore('binding a callback as ServiceStack does', () => {
  const context = useServiceOnFreshStore();
  let merchant: Merchant;
  beforeAll(async () => {
    // A company from before signed callback URLs: these tests build their query strings by hand.
    merchant = await aMerchant(context.store, undefined, { callbackUrls: 'any' });
  });

  const data = (number: string, status = 'Paid') => ({ number, status, orderid: 'O', url: 'https://x.example/inv/1' });
  // fetch() labels a string body text/plain; bytes go out without a Content-Type.
  const post = (path: string, body: string, contentType?: string) =>
    context.service.send(path, {
      method: 'POST',
      headers: contentType ? { 'Content-Type': contentType } : {},
      body: contentType ? body : Buffer.from(body),
    });
  const bookingOf = async (number: string) => (await context.store.findPayment(merchant.companyId, number))?.bookingId;

  it('matches query parameter names case-insensitively', async () => {
    const signed = signCallback(merchant.secret, data('b1'));
    const answer = await post(`${ROUTE}?companyid=${merchant.companyId}&BOOKINGID=Q&articleTypeID=3`, signed.jsonBody, 'application/json');
    expect(answer.status).toBe(200);
    expect(await context.store.findPayment(merchant.companyId, 'b1')).toMatchObject({ bookingId: 'Q', articleTypeId: 3 });
  });

  it('binds every field from the JSON body, names in any case, `Data` as well as `data`', async () => {
    const signed = signCallback(merchant.secret, data('b2'));
    const body = `{"companyId":"${merchant.companyId.toUpperCase()}","BookingID":"J","articletypeid":4,"credentials":{"hash":"${signed.hash}"},"Data":${signed.signedData}}`;
    expect((await post(ROUTE, body, 'application/json')).status).toBe(200);
    expect(await context.store.findPayment(merchant.companyId, 'b2')).toMatchObject({ bookingId: 'J', articleTypeId: 4 });
  });

  it('lets the query string override the body, and form fields override the query string', async () => {
    const json = signCallback(merchant.secret, data('b3'));
    const body = `{"BookingId":"from-body","ArticleTypeId":1,"CompanyId":"${merchant.companyId}","credentials":{"hash":"${json.hash}"},"data":${json.signedData}}`;
    expect((await post(`${ROUTE}?BookingId=from-query`, body, 'application/json')).status).toBe(200);
    expect(await bookingOf('b3')).toBe('from-query');

    const form = signCallback(merchant.secret, data('b4'));
    const query = `CompanyId=${merchant.companyId}&BookingId=from-query&ArticleTypeId=1`;
    expect((await post(`${ROUTE}?${query}`, `${form.formBody}&bookingid=from-form`, 'application/x-www-form-urlencoded')).status).toBe(200);
    expect(await bookingOf('b4')).toBe('from-form');
  });

  it('reads JSON sent without a Content-Type, with a charset, as +json, or labelled as a form (PHP curl default)', async () => {
    const query = `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1`;
    const cases: Array<[string, string | undefined]> = [
      ['b5', undefined],
      ['b6', 'application/json; charset=utf-8'],
      ['b7', 'application/vnd.qvickly+json'],
      ['b8', 'application/x-www-form-urlencoded'],
      ['b9', 'text/json'],
    ];
    for (const [number, contentType] of cases) {
      const answer = await post(`${ROUTE}?${query}`, signCallback(merchant.secret, data(number)).jsonBody, contentType);
      expect([number, answer.status, answer.text]).toEqual([number, 200, `{"Message":"Payment ${number} is now Paid","Success":true}`]);
    }
  });

  it('refuses a member given twice under different casings, and a query field given twice', async () => {
    const signed = signCallback(merchant.secret, data('b10'));
    const query = `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1`;
    const twice = `{"credentials":{"hash":"${signed.hash}"},"data":${signed.signedData},"Data":{"number":"b10","status":"Credited"}}`;
    const answer = await post(`${ROUTE}?${query}`, twice, 'application/json');
    expect([answer.status, answer.text]).toEqual([
      400,
      '{"ResponseStatus":{"ErrorCode":"SerializationException","Message":"Unable to bind to request \'QvicklyCheckoutIpnCallBack\'","Errors":[{"ErrorCode":"SerializationException","FieldName":"data","Message":"\'data\' is given more than once"}]}}',
    ]);
    const [stored] = await context.store.listCallbacks({ companyId: merchant.companyId, outcome: 'invalid' });
    expect(stored).toMatchObject({ number: 'b10', reason: "'data' is given more than once" });
    const queryTwice = await post(`${ROUTE}?${query}&bookingid=C`, signed.jsonBody, 'application/json');
    expect(queryTwice.status).toBe(400);
    expect(JSON.parse(queryTwice.text).ResponseStatus.Errors).toEqual([
      { ErrorCode: 'SerializationException', FieldName: 'BookingId', Message: "'BookingId' is given more than once" },
    ]);
    expect(await context.store.findPayment(merchant.companyId, 'b10')).toBeUndefined();
  });

  it('names every missing field at once, and skips empty query values', async () => {
    const answer = await post(`${ROUTE}?ArticleTypeId=`, '{}', 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({
      ResponseStatus: {
        ErrorCode: 'NotEmpty',
        Message: "'CompanyId' must not be empty",
        Errors: ['CompanyId', 'BookingId', 'Data', 'ArticleTypeId'].map((field) => ({
          ErrorCode: 'NotEmpty',
          FieldName: field,
          Message: `'${field}' must not be empty`,
        })),
      },
    });
  });

  it.each([
    ['a bad GUID in the body (ServiceStack would drop it silently)', { CompanyId: 'not-a-guid' }, 'CompanyId', "'not-a-guid' is an Invalid value for 'CompanyId'"],
    ['an ArticleTypeId beyond int32', { ArticleTypeId: 2147483648 }, 'ArticleTypeId', "'2147483648' is an Invalid value for 'ArticleTypeId'"],
    ['a quoted ArticleTypeId in JSON', { ArticleTypeId: '5' }, 'ArticleTypeId', "'5' is an Invalid value for 'ArticleTypeId'"],
    ['data as a JSON string inside JSON', { data: '{"number":"1","status":"Paid"}' }, 'data', '\'{"number":"1","status":"Paid"}\' is an Invalid value for \'data\''],
    ['a status over 255 characters', { data: { number: '1', status: 'P'.repeat(256) } }, 'data.status', "'data.status' must be 255 characters or fewer"],
    ['an empty BookingId', { BookingId: '' }, 'BookingId', "'BookingId' must not be empty"],
    ['data without a status', { data: { number: '1' } }, 'data.status', "'data.status' must not be empty"],
  ])('refuses %s with 400 naming the field', async (_title, override, field, message) => {
    const body = JSON.stringify({ CompanyId: merchant.companyId, BookingId: 'B', ArticleTypeId: 1, data: { number: '1', status: 'Paid' }, ...override });
    const answer = await post(ROUTE, body, 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).ResponseStatus.Errors).toEqual([
      { ErrorCode: expect.any(String), FieldName: field, Message: message },
    ]);
  });

  it('stores a refused callback as invalid, with what could be read of it', async () => {
    const callback = aCallback({ merchant, number: 'b11' });
    await context.service.send(callback.path.replace('ArticleTypeId=1', 'ArticleTypeId=x1'), callback.init);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId, outcome: 'invalid' });
    expect(row).toMatchObject({
      companyId: merchant.companyId,
      bookingId: 'booking-1',
      articleTypeId: null,
      number: 'b11',
      status: 'Paid',
      authentic: false,
      reason: "'x1' is an Invalid value for 'ArticleTypeId'",
    });
  });

  it('authenticates a form body over the field exactly as decoded, and a JSON body over its exact span', async () => {
    // The url's slashes are escaped in the signed text: a re-serialised body would not match it byte for byte.
    const query = `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1`;
    const signed = signCallback(merchant.secret, data('b12'));
    expect(signed.signedData).toContain('https:\\/\\/x.example');
    expect((await post(`${ROUTE}?${query}`, signed.formBody, 'application/x-www-form-urlencoded')).status).toBe(200);
    const pretty = `{ "credentials" : { "hash" : "${signCallback(merchant.secret, data('b13')).hash}" },\n  "data" : ${signCallback(merchant.secret, data('b13')).signedData} }`;
    expect((await post(`${ROUTE}?${query}`, pretty, 'application/json')).status).toBe(200);
  });

  it('fails a body signature over other data than the body carries (a status changed after signing) with 401', async () => {
    const signed = signCallback(merchant.secret, data('b14', 'Pending'));
    const forged = signed.jsonBody.replace('"Pending"', '"Paid"');
    const answer = await post(`${ROUTE}?CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1`, forged, 'application/json');
    expect(answer.status).toBe(401);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId, outcome: 'unauthenticated' });
    expect(row).toMatchObject({ number: 'b14', status: 'Paid', reason: 'credentials.hash does not match data' });
    expect(await context.store.findPayment(merchant.companyId, 'b14')).toBeUndefined();
  });

  // ServiceStack binds every DTO property from the query string too, `data` and `credentials`
  // included, and so do we: the query is one more place the same signed envelope can come from.
  it('authenticates a callback whose data and credentials come from the query exactly like one from the body', async () => {
    const signed = signCallback(merchant.secret, data('b16'));
    const query = `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1&${signed.formBody}`;
    const answer = await context.service.send(`${ROUTE}?${query}`, { method: 'POST' });
    expect([answer.status, answer.text]).toEqual([200, '{"Message":"Payment b16 is now Paid","Success":true}']);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 });
    expect(row).toMatchObject({ number: 'b16', authentic: true, outcome: 'applied', query, body: Buffer.alloc(0) });
    expect(await bookingOf('b16')).toBe('B');
  });

  it('answers a forged `credentials` in the query with 401, also when the body carries the right hash (the query wins)', async () => {
    const signed = signCallback(merchant.secret, data('b17'));
    const forgedHash = signCallback('not-the-secret', data('b17')).hash;
    const forgedCredentials = `credentials=${encodeURIComponent(`{"hash":"${forgedHash}"}`)}`;
    const base = `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1`;
    const queryOnly = await context.service.send(`${ROUTE}?${base}&${forgedCredentials}&data=${encodeURIComponent(signed.signedData)}`, {
      method: 'POST',
    });
    expect(queryOnly.status).toBe(401);
    const overridden = await post(`${ROUTE}?${base}&${forgedCredentials}`, signed.jsonBody, 'application/json');
    expect(overridden.status).toBe(401);
    const rows = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 2 });
    expect(rows.map((row) => [row.number, row.outcome, row.reason])).toEqual([
      ['b17', 'unauthenticated', 'credentials.hash does not match data'],
      ['b17', 'unauthenticated', 'credentials.hash does not match data'],
    ]);
    expect(await context.store.findPayment(merchant.companyId, 'b17')).toBeUndefined();
  });

  it('answers a company without a secret with the same 401, keeping the reason in the inbox', async () => {
    const stranger = { companyId: crypto.randomUUID(), secret: 'whatever' };
    const callback = aCallback({ merchant: stranger });
    const answer = await context.service.send(callback.path, callback.init);
    expect([answer.status, answer.text]).toEqual([
      401,
      '{"ResponseStatus":{"ErrorCode":"Unauthorized","Message":"The callback could not be authenticated","Errors":[]}}',
    ]);
    const [row] = await context.store.listCallbacks({ companyId: stranger.companyId });
    expect(row).toMatchObject({ outcome: 'unauthenticated', reason: 'no Qvickly secret is configured for the company' });
  });

  it('refuses JSON nested deeper than PHP can decode, and survives deep nesting in a form field', async () => {
    const query = `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1`;
    const deepJson = `{"data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const json = await post(`${ROUTE}?${query}`, deepJson, 'application/json');
    expect([json.status, JSON.parse(json.text).ResponseStatus.Message]).toEqual([
      400,
      "Could not deserialize 'application/json' request using QvicklyCheckoutIpnCallBack\nError: the body is nested deeper than 512 levels",
    ]);
    const deepForm = `data=${'%5B'.repeat(10_000)}${'%5D'.repeat(10_000)}&credentials=%7B%7D`;
    expect((await post(`${ROUTE}?${query}`, deepForm, 'application/x-www-form-urlencoded')).status).toBe(400);
    const deepSigned = `data=%7B%22number%22%3A%22d1%22%2C%22status%22%3A%22Paid%22%2C%22x%22%3A${'%5B'.repeat(9000)}${'%5D'.repeat(9000)}%7D&credentials=%7B%22hash%22%3A%22ab%22%7D`;
    expect((await post(`${ROUTE}?${query}`, deepSigned, 'application/x-www-form-urlencoded')).status).toBe(401);
  });

  it('ignores query parameters it does not know, and lets the route suffix win over ?format=', async () => {
    const callback = aCallback({ merchant, number: 'b15' });
    const path = callback.path.replace('ipncallback?', 'ipncallback.csv?') + '&format=xml&source=qvickly';
    const answer = await context.service.send(path, callback.init);
    expect([answer.status, answer.text]).toEqual([200, 'Message,Success\r\nPayment b15 is now Paid,True\r\n']);
  });
});
