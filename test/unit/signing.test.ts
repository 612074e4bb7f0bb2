import { phpUrlencode, signCallback } from '../../src/client/sign';
import { phpJsonEncode, phpJsonReencode } from '../../src/ipn/php-json';
import { signText, verifySignature } from '../../src/ipn/signature';
import { vectorFile, vectors } from '../support/vectors';

describe('the signing helper reproduces the shared Qvickly vectors', () => {
  it('matches the hash published in the Qvickly documentation', () => {
    const { secret, data, signed_string, hash } = vectorFile.reference_check;
    expect(phpJsonEncode(data)).toBe(signed_string);
    expect(signCallback(secret, data).hash).toBe(hash);
  });

  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s: signed text, hash, JSON body and form body', (_id, vector) => {
    const signed = signCallback(vector.secret, vector.data);
    expect(signed.signedData).toBe(vector.signed_string);
    expect(signed.hash).toBe(vector.hash);
    expect(signed.jsonBody).toBe(vector.json_body);
    expect(signed.formBody).toBe(vector.form_body);
  });
});

describe('verifySignature', () => {
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s: accepts the exact text and its re-serialisation', (_id, vector) => {
    expect(verifySignature([vector.secret], vector.hash, vector.signed_string)).toEqual({
      valid: true,
      signedText: vector.signed_string,
      keyIndex: 0,
    });
    // What a JSON re-serialiser in between would deliver (unescaped '/' and åäö): PHP re-encoding recovers it.
    const reserialised = JSON.stringify(JSON.parse(vector.signed_string));
    expect(verifySignature([vector.secret], vector.hash.toUpperCase(), reserialised)).toMatchObject({ valid: true });
  });

  it('refuses a wrong secret, a changed status, a missing hash and a truncated hash', () => {
    const [vector] = vectors;
    if (!vector) throw new Error('no vectors');
    expect(verifySignature(['wrong'], vector.hash, vector.signed_string)).toEqual({ valid: false, reason: 'hash-mismatch' });
    const forged = vector.signed_string.replace('"Paid"', '"Credited"');
    expect(verifySignature([vector.secret], vector.hash, forged)).toEqual({ valid: false, reason: 'hash-mismatch' });
    expect(verifySignature([vector.secret], undefined, vector.signed_string)).toEqual({ valid: false, reason: 'missing-hash' });
    expect(verifySignature([vector.secret], vector.hash.slice(0, 64), vector.signed_string)).toEqual({
      valid: false,
      reason: 'hash-mismatch',
    });
  });

  it('keeps key order and number literals a JavaScript object would lose', () => {
    const text = '{"10":"a","2":"b","amount":12345678901234567890,"price":1.50}';
    expect(phpJsonReencode(text)).toBe('{"10":"a","2":"b","amount":1.2345678901234567e+19,"price":1.5}');
    const hash = signText('s', '{"10":"a","2":"b","amount":1.2345678901234567e+19,"price":1.5}');
    expect(verifySignature(['s'], hash, text)).toEqual({
      valid: true,
      signedText: '{"10":"a","2":"b","amount":1.2345678901234567e+19,"price":1.5}',
      keyIndex: 0,
    });
  });
});

describe('PHP encoding details', () => {
  it.each([
    ['slash', 'a/b', '"a\\/b"'],
    ['Latin-1', 'åäö', '"\\u00e5\\u00e4\\u00f6"'],
    ['astral', '😀', '"\\ud83d\\ude00"'],
    ['control', '\u0001\n\t', '"\\u0001\\n\\t"'],
    ['DEL kept raw', '\u007f', '"\u007f"'],
    ['quote and backslash', '"\\', '"\\"\\\\"'],
  ])('%s', (_name, input, expected) => {
    expect(phpJsonEncode(input)).toBe(expected);
  });

  it.each([
    [0.1, '0.1'],
    [1.5, '1.5'],
    [100.5, '100.5'],
    [1e25, '1.0e+25'],
    [0.0001, '0.0001'],
    [0.00001, '1.0e-5'],
    [1e16 + 0.0, '10000000000000000'],
  ])('float %p', (value, expected) => {
    expect(phpJsonEncode(value)).toBe(expected);
  });

  it('encodes PHP urlencode style (space as +, * and ~ escaped)', () => {
    expect(phpUrlencode('a b*~-_.')).toBe('a+b%2A%7E-_.');
  });
});
