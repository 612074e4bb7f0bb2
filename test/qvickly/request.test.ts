import { phpJsonEncode } from '../../src/ipn/php-json';
import { signText } from '../../src/ipn/signature';
import { createQvicklyPaymentApi, type QvicklyAccount } from '../../src/qvickly/payment-api';
import { createFakeQvickly, type ReceivedRequest } from '../support/fake-qvickly';
import { qvicklySchemaValidator } from '../support/qvickly-contract';

// What our getPaymentinfo request looks like on the wire: signed as Qvickly checks it, the
// signed text embedded byte for byte, valid against openapi/qvickly-payment-api.yaml.

const live: QvicklyAccount = { merchantId: '4711', secret: 'merchant-4711-secret', test: false };
const test: QvicklyAccount = { merchantId: '4712', secret: 'merchant-4712-secret', test: true };
const NOW = new Date('2024-05-05T16:28:27.624Z'); // 1714926507.624 s

const fake = createFakeQvickly();
const validateRequest = qvicklySchemaValidator('GetPaymentinfoRequest');

async function send(account: QvicklyAccount, number: string): Promise<ReceivedRequest> {
  fake.reset();
  const api = createQvicklyPaymentApi({ baseUrl: fake.url, timeoutMs: 5000, now: () => NOW });
  await api.getPaymentInfo(account, number);
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!;
}

beforeAll(async () => {
  await fake.start();
  fake.addMerchant(live.merchantId, live.secret);
  fake.addMerchant(test.merchantId, test.secret);
});

afterAll(async () => {
  await fake.stop();
});

describe('the getPaymentinfo request', () => {
  it('a live account\'s request is exactly the documented envelope, without test, POSTed as JSON to the base URL', async () => {
    const request = await send(live, '810652');
    const hash = signText(live.secret, '{"number":"810652"}');
    expect(request.text).toBe(
      `{"credentials":{"id":"4711","hash":"${hash}","version":"2.5.0","client":"qvickly-ipn","language":"sv","time":1714926507.624},` +
        '"data":{"number":"810652"},"function":"getPaymentinfo"}',
    );
    expect({ method: request.method, path: request.path, contentType: request.headers['content-type'] }).toEqual({
      method: 'POST',
      path: '/',
      contentType: 'application/json',
    });
    expect(request.signatureValid).toBe(true);
  });

  it('a test account\'s request carries credentials.test "true" and is signed with that account\'s secret', async () => {
    const request = await send(test, '810652');
    expect(request.body).toEqual({
      credentials: {
        id: '4712',
        hash: signText(test.secret, '{"number":"810652"}'),
        version: '2.5.0',
        client: 'qvickly-ipn',
        language: 'sv',
        time: 1714926507.624,
        test: 'true',
      },
      data: { number: '810652' },
      function: 'getPaymentinfo',
    });
    expect(request.signatureValid).toBe(true);
  });

  it('a payment number with "/" and "å" is sent as PHP encodes it, and that exact text is what is signed', async () => {
    const number = 'A/1-å';
    const signedText = '{"number":"A\\/1-\\u00e5"}';
    expect(phpJsonEncode({ number })).toBe(signedText);
    const request = await send(live, number);
    expect(request.text).toContain(`"data":${signedText},"function"`);
    expect((request.body as { credentials: { hash: string } }).credentials.hash).toBe(signText(live.secret, signedText));
    expect(request.signatureValid).toBe(true);
  });

  it('the credentials.client option names the caller', async () => {
    fake.reset();
    const api = createQvicklyPaymentApi({ baseUrl: fake.url, timeoutMs: 5000, client: 'bokamera-confirm 1.2', now: () => NOW });
    await api.getPaymentInfo(live, '810652');
    expect((fake.requests[0]?.body as { credentials: { client: string } }).credentials.client).toBe('bokamera-confirm 1.2');
  });
});

describe('the request against the contract (GetPaymentinfoRequest in openapi/qvickly-payment-api.yaml)', () => {
  it.each([
    ['a live account', live],
    ['a test account', test],
  ] as const)('%s: the body is valid', async (_name, account) => {
    const request = await send(account, '810652');
    const valid = validateRequest(request.body);
    expect(validateRequest.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the validator refuses what Qvickly would not take: a boolean test flag, a time as text, an unsigned body, another function', () => {
    const good = {
      credentials: { id: '4711', hash: signText(live.secret, '{"number":"1"}'), version: '2.5.0', client: 'qvickly-ipn', language: 'sv', time: 1714926507.624 },
      data: { number: '1' },
      function: 'getPaymentinfo',
    };
    expect(validateRequest(good)).toBe(true);
    expect(validateRequest({ ...good, credentials: { ...good.credentials, test: true } })).toBe(false);
    expect(validateRequest({ ...good, credentials: { ...good.credentials, time: '1714926507.624' } })).toBe(false);
    expect(validateRequest({ ...good, credentials: { ...good.credentials, hash: '' } })).toBe(false);
    expect(validateRequest({ ...good, function: 'getpaymentinfo' })).toBe(false);
  });
});
