import { createHash, createHmac } from 'node:crypto';
import { signCallback } from '../../src/client/sign';
import { authenticate } from '../../src/ipn/authenticate';
import type { BoundCallback } from '../../src/ipn/bind';
import { signCallbackUrl, urlSignedBy } from '../../src/ipn/callback-url';
import type { Company } from '../../src/ipn/ports';
import { signText } from '../../src/ipn/signature';

// authenticate() decides every refusal and its reason, which secret signed, and the routing.
// Each case below is the exact outcome a stored inbox row shows.

const COMPANY_ID = '7C9E6679-7425-40DE-944B-E07FC1F90AE7';
const NOW = new Date('2026-12-01T12:00:00.000Z');
const CURRENT = 'current-secret';
const PREVIOUS = 'previous-secret';
const DATA = { number: '810652', status: 'Paid', orderid: 'P123', url: '' };

function company(overrides: Partial<Company> = {}): Company {
  return { companyId: COMPANY_ID, secret: CURRENT, previous: undefined, callbackUrls: 'signed', merchantId: null, test: false, ...overrides };
}

function callback(options: { secret?: string; urlSecret?: string | null; urlOrderId?: string; orderid?: string | null; hash?: string } = {}): BoundCallback {
  const data = { ...DATA, orderid: options.orderid === undefined ? DATA.orderid : options.orderid };
  const signed = signCallback(options.secret ?? CURRENT, data);
  const routing = { companyId: COMPANY_ID, bookingId: 'booking-1', articleTypeId: 1, orderId: options.urlOrderId };
  const urlSecret = options.urlSecret === undefined ? (options.secret ?? CURRENT) : options.urlSecret;
  return {
    companyId: COMPANY_ID,
    bookingId: 'booking-1',
    articleTypeId: 1,
    number: DATA.number,
    status: DATA.status,
    orderid: data.orderid,
    url: '',
    dataText: signed.signedData,
    hash: 'hash' in options ? options.hash : signed.hash,
    urlOrderId: options.urlOrderId,
    urlSignature: urlSecret === null ? undefined : signCallbackUrl(urlSecret, routing),
  };
}

const fingerprint = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('authenticate', () => {
  it('accepts data and URL signed with the current secret: fingerprint of the signed text, current, signed routing', () => {
    const bound = callback();
    expect(authenticate(company(), bound, NOW)).toEqual({ authentic: true, fingerprint: fingerprint(bound.dataText), secretUsed: 'current', routing: 'signed' });
  });

  it('accepts the previous secret until it expires, recording that it was the previous one', () => {
    const rotated = company({ previous: { secret: PREVIOUS, expiresAt: '2026-12-01T12:00:00.001Z' } });
    expect(authenticate(rotated, callback({ secret: PREVIOUS }), NOW)).toMatchObject({ authentic: true, secretUsed: 'previous', routing: 'signed' });
    const expired = company({ previous: { secret: PREVIOUS, expiresAt: NOW.toISOString() } });
    expect(authenticate(expired, callback({ secret: PREVIOUS }), NOW)).toEqual({ authentic: false, reason: 'credentials.hash does not match data' });
  });

  it.each([
    ['no company secret', undefined, callback(), 'no Qvickly secret is configured for the company'],
    ['no hash', company(), callback({ hash: undefined }), 'no credentials.hash'],
    ['a wrong hash', company(), callback({ hash: signText('guessed', 'x') }), 'credentials.hash does not match data'],
    ['a URL signed with another secret', company(), callback({ urlSecret: 'guessed' }), 'the callback URL signature does not match'],
    ['a wrong URL signature under policy any', company({ callbackUrls: 'any' }), callback({ urlSecret: 'guessed' }), 'the callback URL signature does not match'],
    ['an unsigned URL under policy signed', company(), callback({ urlSecret: null }), 'the callback URL is not signed'],
    ['a signed OrderId other than data.orderid', company(), callback({ urlOrderId: 'P999' }), "data.orderid is not the callback URL's signed OrderId"],
    ['a signed OrderId and no data.orderid', company(), callback({ urlOrderId: 'P123', orderid: null }), "data.orderid is not the callback URL's signed OrderId"],
  ] as const)('refuses %s with its reason', (_case, account, bound, reason) => {
    expect(authenticate(account, bound, NOW)).toEqual({ authentic: false, reason });
  });

  it('accepts an unsigned URL under policy any as unsigned routing, and a signed OrderId equal to data.orderid', () => {
    expect(authenticate(company({ callbackUrls: 'any' }), callback({ urlSecret: null }), NOW)).toMatchObject({ authentic: true, routing: 'unsigned' });
    expect(authenticate(company(), callback({ urlOrderId: 'P123' }), NOW)).toMatchObject({ authentic: true, routing: 'signed' });
  });
});

describe('signCallbackUrl and urlSignedBy', () => {
  const routing = { companyId: COMPANY_ID, bookingId: 'B-7', articleTypeId: 3, orderId: 'O-9' };

  it('sign the documented text with HMAC-SHA256, company id lower-cased, no trailing LF', () => {
    const text = `qvickly-ipn:callbackurl:v1\n${COMPANY_ID.toLowerCase()}\nB-7\n3\nO-9`;
    expect(signCallbackUrl('k', routing)).toBe(createHmac('sha256', 'k').update(text).digest('hex'));
    const withoutOrder = `qvickly-ipn:callbackurl:v1\n${COMPANY_ID.toLowerCase()}\nB-7\n3\n`;
    expect(signCallbackUrl('k', { ...routing, orderId: undefined })).toBe(createHmac('sha256', 'k').update(withoutOrder).digest('hex'));
  });

  it('name the first key that signed (upper-case hex accepted), or -1', () => {
    const signature = signCallbackUrl('second', routing);
    expect(urlSignedBy(['first', 'second'], routing, signature)).toBe(1);
    expect(urlSignedBy(['second', 'second'], routing, signature.toUpperCase())).toBe(0);
    expect(urlSignedBy(['first'], routing, signature)).toBe(-1);
    expect(urlSignedBy(['second'], routing, signature.slice(1))).toBe(-1);
    expect(urlSignedBy(['second'], { ...routing, bookingId: 'B-8' }, signature)).toBe(-1);
  });
});
