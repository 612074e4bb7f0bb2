import fc from 'fast-check';
import { phpJsonEncode } from '../../src/ipn/php-json';
import { signText } from '../../src/ipn/signature';
import { createQvicklyPaymentApi, type PaymentInfoAnswer } from '../../src/qvickly/payment-api';
import { readSignedAnswer } from '../../src/qvickly/signed-answer';
import { fakePaymentInfoData } from '../support/fake-qvickly';

// How an answer's signature is checked, and which answers are believed: properties over
// generated data, and every shape the client refuses.

const SECRET = 'merchant-4711-secret';
const account = { merchantId: '4711', secret: SECRET, test: false };

/** Qvickly's answer as PHP writes it: data as json_encode, signed. */
function phpAnswer(data: unknown, secret = SECRET): { body: string; dataOffset: number; signedText: string } {
  const signedText = phpJsonEncode(data);
  const prefix = `{"credentials":{"hash":"${signText(secret, signedText)}"},"data":`;
  return { body: `${prefix}${signedText}}`, dataOffset: prefix.length, signedText };
}

/** A client whose "network" answers the given text with HTTP 200. */
function answering(text: string): Promise<PaymentInfoAnswer> {
  const fetchText: typeof fetch = async () => new Response(text, { status: 200, headers: { 'Content-Type': 'application/json' } });
  return createQvicklyPaymentApi({ baseUrl: 'https://api.qvickly.io/', timeoutMs: 1000, fetch: fetchText }).getPaymentInfo(account, '810652');
}

// Keys a JavaScript object keeps in insertion order: integer-like keys ("10", "2") would be
// moved first by any JavaScript intermediary, which no signature over the re-encoding survives.
const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k) && k !== '__proto__');
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('https://api.qvickly.io/invoice/1', 'Beställning-1001-ÅÄÖåäö', 'a"b\\c', '\u007f', '😀'),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    tie('object'),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
}));
const answerData = fc.record({ number: fc.stringMatching(/^[0-9]{6}$/), extra: fc.dictionary(key, jsonValue, { maxKeys: 5, noNullPrototype: true }) });

/** Offsets of letters and digits inside JSON strings, outside escapes: changing one changes a value. */
function plainStringCharacters(text: string): number[] {
  const offsets: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (!inString) inString = char === '"';
    else if (char === '\\') i += text[i + 1] === 'u' ? 5 : 1;
    else if (char === '"') inString = false;
    else if (/[A-Za-z0-9]/.test(char)) offsets.push(i);
  }
  return offsets;
}

describe('the signature of an answer', () => {
  it('an answer exactly as PHP writes it verifies, and its data is the signed data', () => {
    fc.assert(
      fc.property(answerData, (data) => {
        const verified = readSignedAnswer(SECRET, phpAnswer(data).body);
        expect(verified.kind).toBe('verified');
        if (verified.kind === 'verified') expect(phpJsonEncode(verified.data)).toBe(phpJsonEncode(data));
      }),
      { numRuns: 300 },
    );
  });

  it('an answer an intermediary pretty-printed (slashes and non-ASCII unescaped) still verifies, through the PHP re-encoding', () => {
    fc.assert(
      fc.property(answerData, (data) => {
        const pretty = JSON.stringify(JSON.parse(phpAnswer(data).body), null, 2);
        const verified = readSignedAnswer(SECRET, pretty);
        expect(verified.kind).toBe('verified');
        if (verified.kind === 'verified') expect(phpJsonEncode(verified.data)).toBe(phpJsonEncode(data));
      }),
      { numRuns: 300 },
    );
  });

  it('changing any letter or digit of any string in data makes the answer bad-signature', () => {
    fc.assert(
      fc.property(answerData, fc.nat(), fc.constantFrom(...'abcXYZ019'), (data, pick, replacement) => {
        const { body, dataOffset, signedText } = phpAnswer(data);
        const offsets = plainStringCharacters(signedText);
        const offset = dataOffset + offsets[pick % offsets.length]!;
        const changed = body[offset] === replacement ? (replacement === 'a' ? 'b' : 'a') : replacement;
        const tampered = `${body.slice(0, offset)}${changed}${body.slice(offset + 1)}`;
        expect(readSignedAnswer(SECRET, tampered)).toEqual({
          kind: 'unavailable',
          reason: 'bad-signature',
          detail: "credentials.hash does not match the answer's data",
        });
      }),
      { numRuns: 300 },
    );
  });

  it('an answer signed with another secret is bad-signature', () => {
    fc.assert(
      fc.property(answerData, (data) => {
        expect(readSignedAnswer(SECRET, phpAnswer(data, 'another-secret').body)).toMatchObject({ kind: 'unavailable', reason: 'bad-signature' });
      }),
      { numRuns: 50 },
    );
  });

  it('an upper-case hex hash verifies as Qvickly\'s lower-case one', () => {
    const data = fakePaymentInfoData({ status: 'Paid', orderid: 'BM-1', currency: 'SEK', withtax: '100' });
    const { body } = phpAnswer(data);
    const upper = body.replace(/"hash":"([0-9a-f]+)"/, (_match, hash: string) => `"hash":"${hash.toUpperCase()}"`);
    expect(readSignedAnswer(SECRET, upper).kind).toBe('verified');
  });
});

describe('the client believes only a signed answer of the documented shape', () => {
  const paid = fakePaymentInfoData({ status: 'Paid', orderid: 'BM-B810652', currency: 'SEK', withtax: '69500' });

  it('a pretty-printed paid answer (URLs and Swedish names unescaped) is info with the exact values', async () => {
    const pretty = JSON.stringify(JSON.parse(phpAnswer(paid).body), null, 2);
    expect(pretty).toContain('"callbackurl": "https://api.bokamera.se/payment/billmate/v1/ipncallback"');
    expect(pretty).toContain('"firstname": "Åsa"');
    expect(await answering(pretty)).toEqual({
      kind: 'info',
      status: 'Paid',
      orderid: 'BM-B810652',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: null,
      data: paid,
    });
  });

  it('an error whose code and log id Qvickly sent as integers is error with them as text', async () => {
    expect(await answering(phpAnswer({ code: 5201, message: 'Invoice does not exist', logid: 123456789 }).body)).toEqual({
      kind: 'error',
      code: '5201',
      message: 'Invoice does not exist',
      logid: '123456789',
    });
  });

  it('an error without a log id is error with logid null', async () => {
    expect(await answering(phpAnswer({ code: '9013', message: 'Authentication is failed' }).body)).toEqual({
      kind: 'error',
      code: '9013',
      message: 'Authentication is failed',
      logid: null,
    });
  });

  const withPaymentData = (changes: Record<string, unknown>): unknown => {
    const paymentData: Record<string, unknown> = { ...(paid.PaymentData as object), ...changes };
    for (const [name, value] of Object.entries(changes)) if (value === undefined) delete paymentData[name];
    return { ...paid, PaymentData: paymentData };
  };
  const withTotal = (withtax: unknown): unknown => ({ ...paid, Cart: { Total: { withtax } } });

  it.each([
    ['the answer is a JSON array', '[]', 'the answer is not a JSON object'],
    ['data is a string (signed)', `{"credentials":{"hash":"${signText(SECRET, '"Paid"')}"},"data":"Paid"}`, 'the answer has no single data object'],
    ['data is an array (signed)', `{"credentials":{"hash":"${signText(SECRET, '[]')}"},"data":[]}`, 'the answer has no single data object'],
    ['data is missing', `{"credentials":{"hash":"${signText(SECRET, '{}')}"}}`, 'the answer has no single data object'],
    ['data comes twice (the first one signed)', phpAnswer({ code: '1' }).body.replace(/}$/, ',"data":{"code":"2"}}'), 'the answer has no single data object'],
    ['data is spelled Data', phpAnswer(paid).body.replace('"data":', '"Data":'), 'the answer has no single data object'],
    ['PaymentData is missing', phpAnswer({ Cart: paid.Cart }).body, 'data.PaymentData is not an object'],
    ['status is a number', phpAnswer(withPaymentData({ status: 1 })).body, 'data.PaymentData.status is not a string'],
    ['status is empty', phpAnswer(withPaymentData({ status: '' })).body, 'data.PaymentData.status is empty'],
    ['currency is missing', phpAnswer(withPaymentData({ currency: undefined })).body, 'data.PaymentData.currency is not a string'],
    ['currency is lower case', phpAnswer(withPaymentData({ currency: 'sek' })).body, 'data.PaymentData.currency is not an ISO 4217 code'],
    ['currency is empty', phpAnswer(withPaymentData({ currency: '' })).body, 'data.PaymentData.currency is not an ISO 4217 code'],
    ['paymentid_related is an object', phpAnswer(withPaymentData({ paymentid_related: {} })).body, 'data.PaymentData.paymentid_related is not a string'],
    ['Cart is missing', phpAnswer({ PaymentData: paid.PaymentData }).body, 'data.Cart.Total.withtax is not an amount in minor units'],
    ['withtax is a number', phpAnswer(withTotal(69500)).body, 'data.Cart.Total.withtax is not an amount in minor units'],
    ['withtax has a decimal point', phpAnswer(withTotal('695.00')).body, 'data.Cart.Total.withtax is not an amount in minor units'],
    ['an error code is an object', phpAnswer({ code: {}, message: 'x' }).body, 'data.code of an error answer is neither a string nor an integer'],
  ])('%s: unavailable/unexpected-shape', async (_case, text, detail) => {
    expect(await answering(text)).toEqual({ kind: 'unavailable', reason: 'unexpected-shape', detail });
  });

  it.each([
    ['no credentials', `{"data":${phpJsonEncode(paid)}}`],
    ['credentials without hash', `{"credentials":{"logid":"1"},"data":${phpJsonEncode(paid)}}`],
    ['an empty hash', `{"credentials":{"hash":""},"data":${phpJsonEncode(paid)}}`],
    ['a hash that is a number', `{"credentials":{"hash":12},"data":${phpJsonEncode(paid)}}`],
  ])('%s: unavailable/unsigned', async (_case, text) => {
    expect(await answering(text)).toEqual({ kind: 'unavailable', reason: 'unsigned', detail: 'the answer has no credentials.hash' });
  });
});
