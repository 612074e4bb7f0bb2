import { loadContract, type Contract } from '../../src/contract';
import { decodeCallback, type Decoded } from '../../src/ipn/decode';

// decodeCallback, the one way from a delivery (live or stored) to a bound callback or the
// reason there is none: the body by its content type, the query merged as ServiceStack binds
// it, the DTO validated against the contract. Each case is what the inbox row and answer show.

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const QUERY = `CompanyId=${COMPANY}&BookingId=b-1&ArticleTypeId=1`;
const DATA_TEXT = '{"number":9007199254740993,"status":"Paid","orderid":"P1","url":""}';
const BODY = `{"credentials":{"hash":"abc"},"data":${DATA_TEXT}}`;
const CLAIMED = { companyId: COMPANY, bookingId: 'b-1', articleTypeId: 1 };
const UNREAD = { ...CLAIMED, number: null, status: null };
const BOUND = { ...CLAIMED, number: '9007199254740993', status: 'Paid', orderid: 'P1', url: '', dataText: DATA_TEXT, hash: 'abc' };

let contract: Contract;
beforeAll(async () => {
  contract = await loadContract();
});

function decode(contentType: string | null, body: string, query = QUERY, contentEncoding: string | null = null): Decoded {
  return decodeCallback(contract.requestDto, { contentType, contentEncoding, query, body: Buffer.from(body) });
}

describe('decodeCallback binds', () => {
  it('a JSON body: the payment number from its text (2^53 + 1 exactly), data exactly as signed, the query routing', () => {
    expect(decode('application/json', BODY)).toEqual({ ok: true, callback: BOUND });
  });

  it('a JSON body labelled text/plain, or with no Content-Type, the same way', () => {
    expect(decode('text/plain; charset=utf-8', BODY)).toEqual({ ok: true, callback: BOUND });
    expect(decode(null, BODY)).toEqual({ ok: true, callback: BOUND });
  });

  it('a form body: credentials and data as JSON texts, absent members as null', () => {
    const data = '{"number":1,"status":"Paid"}';
    const form = `credentials=${encodeURIComponent('{"hash":"abc"}')}&data=${encodeURIComponent(data)}`;
    expect(decode('application/x-www-form-urlencoded', form)).toEqual({
      ok: true,
      callback: { ...CLAIMED, number: '1', status: 'Paid', orderid: null, url: null, dataText: data, hash: 'abc' },
    });
  });

  it('query names in any casing, and the signed URL parameters OrderId and Signature', () => {
    expect(decode('application/json', BODY, `companyid=${COMPANY}&bookingid=b-1&articletypeid=7`)).toEqual({ ok: true, callback: { ...BOUND, articleTypeId: 7 } });
    expect(decode('application/json', BODY, `${QUERY}&OrderId=P1&Signature=ABC`)).toEqual({ ok: true, callback: { ...BOUND, urlOrderId: 'P1', urlSignature: 'ABC' } });
  });
});

describe('decodeCallback refuses, keeping what the query claims', () => {
  it.each([
    ['another media type (415)', 'application/xml', '<a/>', null, { kind: 'unsupported', mediaType: 'application/xml', reason: "Content-Type 'application/xml' is not supported" }],
    ['a Content-Type that does not parse (415)', 'a/b/c', BODY, null, { kind: 'unsupported', mediaType: 'a/b/c', reason: "Content-Type 'a/b/c' cannot be parsed" }],
    ['a Content-Encoding (415)', 'application/json', BODY, 'gzip', { kind: 'unsupported', mediaType: 'Content-Encoding', reason: "Content-Encoding 'gzip' is not supported" }],
    ['broken JSON (400)', 'application/json', '{"credentials":', null, { kind: 'undeserializable', mediaType: 'application/json', detail: 'ValueExpected at position 15' }],
    ['JSON nested deeper than PHP reads (400)', 'application/json', `${'['.repeat(600)}${']'.repeat(600)}`, null, { kind: 'undeserializable', mediaType: 'application/json', detail: 'the body is nested deeper than 512 levels' }],
  ] as const)('%s', (_case, contentType, body, contentEncoding, refusal) => {
    expect(decode(contentType, body, QUERY, contentEncoding)).toEqual({ ok: false, refusal, claims: UNREAD });
  });

  it.each([
    ['an empty body', '', QUERY, [{ ErrorCode: 'NotEmpty', FieldName: 'Data', Message: "'Data' must not be empty" }], UNREAD],
    ['a body without data', '{"credentials":{"hash":"abc"}}', QUERY, [{ ErrorCode: 'NotEmpty', FieldName: 'Data', Message: "'Data' must not be empty" }], UNREAD],
    [
      'no BookingId',
      BODY,
      `CompanyId=${COMPANY}&ArticleTypeId=1`,
      [{ ErrorCode: 'NotEmpty', FieldName: 'BookingId', Message: "'BookingId' must not be empty" }],
      { ...CLAIMED, bookingId: null, number: '9007199254740993', status: 'Paid' },
    ],
    [
      'a CompanyId that is no UUID',
      BODY,
      'CompanyId=nope&BookingId=b-1&ArticleTypeId=1',
      [{ ErrorCode: 'SerializationException', FieldName: 'CompanyId', Message: "'nope' is an Invalid value for 'CompanyId'" }],
      { ...CLAIMED, companyId: 'nope', number: '9007199254740993', status: 'Paid' },
    ],
    [
      'an ArticleTypeId that is no integer',
      BODY,
      `CompanyId=${COMPANY}&BookingId=b-1&ArticleTypeId=abc`,
      [{ ErrorCode: 'SerializationException', FieldName: 'ArticleTypeId', Message: "'abc' is an Invalid value for 'ArticleTypeId'" }],
      { ...CLAIMED, articleTypeId: null, number: '9007199254740993', status: 'Paid' },
    ],
    [
      'a field given under two casings',
      BODY,
      `${QUERY}&companyid=${COMPANY}`,
      [{ ErrorCode: 'SerializationException', FieldName: 'CompanyId', Message: "'CompanyId' is given more than once" }],
      { ...CLAIMED, number: '9007199254740993', status: 'Paid' },
    ],
  ] as const)('%s (400, field errors named as sent)', (_case, body, query, errors, claims) => {
    expect(decode('application/json', body, query)).toEqual({ ok: false, refusal: { kind: 'invalid', errors }, claims });
  });
});

describe('decodeCallback reads ArticleTypeId from the query as ServiceStack converts an int', () => {
  const body = '{"credentials":{"hash":"abc"},"data":{"number":1,"status":"Paid"}}';
  const articleTypeOf = (text: string): Decoded =>
    decode('application/json', body, `CompanyId=${COMPANY}&BookingId=b-1&ArticleTypeId=${encodeURIComponent(text)}`);

  it.each([
    [' 7 ', 7],
    ['+7', 7],
    ['-7', -7],
    ['0', 0],
    ['9', 9],
  ])('%p is %p', (text, value) => {
    expect(articleTypeOf(text)).toMatchObject({ ok: true, callback: { articleTypeId: value } });
  });

  it.each(['7a', '/', ':', '+', '12.5', '1e3'])('%p is not an integer (400)', (text) => {
    expect(articleTypeOf(text)).toMatchObject({
      ok: false,
      refusal: { kind: 'invalid', errors: [{ ErrorCode: 'SerializationException', FieldName: 'ArticleTypeId', Message: `'${text}' is an Invalid value for 'ArticleTypeId'` }] },
    });
  });

  it('an empty one is missing (400)', () => {
    expect(articleTypeOf('')).toMatchObject({
      ok: false,
      refusal: { kind: 'invalid', errors: [{ ErrorCode: 'NotEmpty', FieldName: 'ArticleTypeId', Message: "'ArticleTypeId' must not be empty" }] },
    });
  });

  it('the query wins over the same field in the body; a field only in the body is taken from there', () => {
    const withRouting = `{"CompanyId":"00000000-0000-4000-8000-000000000000","BookingId":"from-body","credentials":{"hash":"abc"},"data":{"number":1,"status":"Paid"}}`;
    expect(decode('application/json', withRouting, `CompanyId=${COMPANY}&ArticleTypeId=1`)).toMatchObject({
      ok: true,
      callback: { companyId: COMPANY, bookingId: 'from-body', articleTypeId: 1 },
    });
  });
});

describe('decodeCallback reads the body by its media type', () => {
  it.each(['text/json', 'application/vnd.qvickly+json', 'application/json; charset=utf-8', ' ', 'text/plain'])('%p as JSON', (contentType) => {
    expect(decode(contentType, BODY)).toEqual({ ok: true, callback: BOUND });
  });

  it.each(['text/xml', 'application/jsonx', 'image/svg+json', 'text/html'])('refuses %p (415)', (contentType) => {
    expect(decode(contentType, BODY)).toMatchObject({ ok: false, refusal: { kind: 'unsupported', mediaType: contentType } });
  });

  it('takes Content-Encoding identity as none, in any casing and spacing', () => {
    expect(decode('application/json', BODY, QUERY, ' Identity ')).toEqual({ ok: true, callback: BOUND });
  });

  it('echoes at most 100 characters of a Content-Type or Content-Encoding it refuses', () => {
    const long = `a/${'b'.repeat(300)}/c`;
    expect(decode(long, BODY)).toMatchObject({ ok: false, refusal: { mediaType: long.slice(0, 100), reason: `Content-Type '${long.slice(0, 100)}' cannot be parsed` } });
    const encoding = 'x'.repeat(300);
    expect(decode('application/json', BODY, QUERY, encoding)).toMatchObject({ ok: false, refusal: { reason: `Content-Encoding '${'x'.repeat(100)}' is not supported` } });
  });

  it('names a body that is not UTF-8 as undeserializable, under the media type sent (JSON when none)', () => {
    const broken = Buffer.from([0x7b, 0xff, 0x7d]);
    const decodeBytes = (contentType: string | null) => decodeCallback(contract.requestDto, { contentType, contentEncoding: null, query: QUERY, body: broken });
    expect(decodeBytes(null)).toMatchObject({ ok: false, refusal: { kind: 'undeserializable', mediaType: 'application/json', detail: 'the body is not valid UTF-8' } });
    expect(decodeBytes('text/plain')).toMatchObject({ ok: false, refusal: { kind: 'undeserializable', mediaType: 'text/plain' } });
  });

  it('reads a form-labelled body that is a JSON object as JSON, and a form with data or credentials as a form', () => {
    expect(decode('application/x-www-form-urlencoded', BODY)).toEqual({ ok: true, callback: BOUND });
    const onlyCredentials = `credentials=${encodeURIComponent('{"hash":"abc"}')}`;
    expect(decode('application/x-www-form-urlencoded', onlyCredentials)).toMatchObject({ ok: false, refusal: { kind: 'invalid', errors: [{ FieldName: 'Data' }] } });
    const onlyData = `data=${encodeURIComponent('{"number":1,"status":"Paid"}')}`;
    expect(decode('application/x-www-form-urlencoded', onlyData)).toMatchObject({ ok: true, callback: { hash: undefined, number: '1' } });
  });
});

describe('decodeCallback names each field error as ServiceStack does', () => {
  const errorsOf = (query: string, body = '{"credentials":{"hash":"abc"},"data":{"number":1,"status":"Paid"}}') => {
    const decoded = decode('application/json', body, query);
    return decoded.ok ? [] : decoded.refusal.kind === 'invalid' ? decoded.refusal.errors : [];
  };

  it('an empty value is NotEmpty, a long one MaximumLength with the limit', () => {
    expect(errorsOf(`CompanyId=${COMPANY}&BookingId=&ArticleTypeId=1`)).toEqual([{ ErrorCode: 'NotEmpty', FieldName: 'BookingId', Message: "'BookingId' must not be empty" }]);
    expect(errorsOf(`CompanyId=${COMPANY}&BookingId=${'x'.repeat(256)}&ArticleTypeId=1`)).toEqual([
      { ErrorCode: 'MaximumLength', FieldName: 'BookingId', Message: "'BookingId' must be 255 characters or fewer" },
    ]);
  });

  it('echoes at most 100 characters of an invalid value, and a non-text value as JSON', () => {
    expect(errorsOf(`CompanyId=${'y'.repeat(150)}&BookingId=b&ArticleTypeId=1`)).toEqual([
      { ErrorCode: 'SerializationException', FieldName: 'CompanyId', Message: `'${'y'.repeat(100)}…' is an Invalid value for 'CompanyId'` },
    ]);
    const objectCompany = '{"CompanyId":{"a":1},"BookingId":"b","credentials":{"hash":"abc"},"data":{"number":1,"status":"Paid"}}';
    expect(errorsOf('ArticleTypeId=1', objectCompany)).toEqual([{ ErrorCode: 'SerializationException', FieldName: 'CompanyId', Message: `'{"a":1}' is an Invalid value for 'CompanyId'` }]);
  });

  it('names members of data by their path, every failing field once, in the order they failed', () => {
    const query = `CompanyId=${COMPANY}&BookingId=b&ArticleTypeId=1`;
    expect(errorsOf(query, '{"credentials":{"hash":"abc"},"data":{"number":1,"status":""}}')).toEqual([
      { ErrorCode: 'NotEmpty', FieldName: 'data.status', Message: "'data.status' must not be empty" },
    ]);
    expect(errorsOf(query, '{"credentials":{"hash":"abc"},"data":{"number":-1,"status":"Paid","url":5}}')).toEqual([
      { ErrorCode: 'SerializationException', FieldName: 'data.number', Message: "'-1' is an Invalid value for 'data.number'" },
      { ErrorCode: 'SerializationException', FieldName: 'data.url', Message: "'5' is an Invalid value for 'data.url'" },
    ]);
    expect(errorsOf('BookingId=&ArticleTypeId=x')).toEqual([
      { ErrorCode: 'NotEmpty', FieldName: 'CompanyId', Message: "'CompanyId' must not be empty" },
      { ErrorCode: 'NotEmpty', FieldName: 'BookingId', Message: "'BookingId' must not be empty" },
      { ErrorCode: 'SerializationException', FieldName: 'ArticleTypeId', Message: "'x' is an Invalid value for 'ArticleTypeId'" },
    ]);
  });
});
