// The spies replace properties of node:crypto's exports object itself (an `import * as` would be
// a copy); signature.ts and authenticate.ts, compiled to CommonJS, look them up on it at every call.
import nodeCrypto = require('node:crypto');
import { authenticate } from '../../src/ipn/authenticate';
import type { BoundCallback } from '../../src/ipn/bind';
import { signText, verifySignature } from '../../src/ipn/signature';
import { signCallback } from '../../src/client/sign';

const SECRET = 'company-secret-1';
// A '/' escaped as PHP does: a JSON re-serialiser in between would write it raw, so both texts are tried.
const DATA = { number: 'T-1', status: 'Paid', orderid: 'O-1', url: 'https://pay.example/i/1' };
const signed = signCallback(SECRET, DATA);
const reserialised = JSON.stringify(JSON.parse(signed.signedData));

function aBoundCallback(hash: string | undefined, dataText = signed.signedData): BoundCallback {
  return {
    companyId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    bookingId: 'B',
    articleTypeId: 1,
    number: 'T-1',
    status: 'Paid',
    orderid: 'O-1',
    url: 'https://pay.example/i/1',
    dataText,
    hash,
    urlOrderId: undefined,
    urlSignature: undefined,
  };
}

describe('every hash comparison goes through crypto.timingSafeEqual', () => {
  afterEach(() => jest.restoreAllMocks());

  it('decides by timingSafeEqual alone: a correct hash fails when it says unequal, a wrong one passes when it says equal', () => {
    const compare = jest.spyOn(nodeCrypto, 'timingSafeEqual').mockReturnValue(false);
    expect(verifySignature([SECRET], signed.hash, signed.signedData)).toEqual({ valid: false, reason: 'hash-mismatch' });
    expect(compare).toHaveBeenCalled();

    compare.mockReturnValue(true);
    const wrong = signText('another-secret', signed.signedData);
    expect(verifySignature([SECRET], wrong, signed.signedData)).toEqual({ valid: true, signedText: signed.signedData, keyIndex: 0 });
  });

  it('compares the received hash with each expected HMAC, for every key and both texts, when none matches', () => {
    const compare = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    const forged = signText('guessed', reserialised);
    expect(verifySignature(['k1', 'k2'], forged, reserialised)).toEqual({ valid: false, reason: 'hash-mismatch' });
    // 2 keys x (the text as received + its PHP re-encoding), each compared as 128 hex characters.
    expect(compare).toHaveBeenCalledTimes(4);
    const expected = [reserialised, signed.signedData].flatMap((text) => ['k1', 'k2'].map((key) => signText(key, text)));
    const compared = compare.mock.calls.map(([received, hmac]) => [Buffer.from(received as Buffer).toString(), Buffer.from(hmac as Buffer).toString()]);
    expect(compared).toEqual(expected.map((hmac) => [forged, hmac]));
  });

  it('accepts an uppercase hash through the same comparison (compared lower-cased)', () => {
    const compare = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    expect(verifySignature([SECRET], signed.hash.toUpperCase(), signed.signedData)).toMatchObject({ valid: true });
    expect(compare).toHaveBeenCalledTimes(1);
    expect(Buffer.from(compare.mock.calls[0]?.[0] as Buffer).toString()).toBe(signed.hash);
  });
});

describe('a company without a secret costs what a wrong hash costs', () => {
  afterEach(() => jest.restoreAllMocks());

  function work(company: { companyId: string; secret: string } | undefined, callback: BoundCallback) {
    const hmacs = jest.spyOn(nodeCrypto, 'createHmac');
    const compares = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    const account = company && { ...company, previous: undefined, callbackUrls: 'any' as const, merchantId: null, test: false };
    const result = authenticate(account, callback, new Date());
    const counts = { hmacs: hmacs.mock.calls.length, compares: compares.mock.calls.length };
    jest.restoreAllMocks();
    return { result, counts };
  }

  it.each([
    ['as received', signed.signedData],
    ['re-serialised by an intermediary', reserialised],
  ])('same number of HMACs and comparisons for a forged hash (%s), known company or not', (_title, dataText) => {
    const forged = aBoundCallback(signText('guessed', dataText), dataText);
    const known = work({ companyId: forged.companyId, secret: SECRET }, forged);
    const unknown = work(undefined, forged);
    expect(known.result).toEqual({ authentic: false, reason: 'credentials.hash does not match data' });
    expect(unknown.result).toEqual({ authentic: false, reason: 'no Qvickly secret is configured for the company' });
    expect(unknown.counts).toEqual(known.counts);
    // Two keys (the secret or a stand-in, and a second stand-in), times the texts tried: the re-encoding differs only when re-serialised.
    expect(known.counts.compares).toBe(dataText === reserialised ? 4 : 2);
  });

  it('an authentic callback of a known company is accepted on the first comparison', () => {
    const authentic = work({ companyId: 'c', secret: SECRET }, aBoundCallback(signed.hash));
    expect(authentic.result).toMatchObject({ authentic: true, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(authentic.counts.compares).toBe(1);
  });
});
