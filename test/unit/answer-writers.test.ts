import fc from 'fast-check';
import { toServiceStackJson } from '../../src/http/formats/json';
import { toJsv } from '../../src/http/formats/jsv';

/**
 * The JSON writer before issue 9, kept as the reference for what the output must be: it found
 * each run of backslashes before a `u` and hex, and uppercased the hex when the run was odd.
 * Its regular expression backtracks over every run again from each of its backslashes, so a
 * long run costs quadratic time (1 MB of backslashes: hours).
 */
function previousJsonWriter(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => (member === null ? undefined : member)).replace(
    /(\\+)u([0-9a-f]{4})/g,
    (match, slashes: string, hex: string) => (slashes.length % 2 === 1 ? `${slashes}u${hex.toUpperCase()}` : match),
  );
}

const MEGABYTE = 1024 * 1024;

/** The fastest of a few runs, in ms: one slow sample on a loaded machine is not the writer's cost. */
function fastestMs(run: () => void, times = 3): number {
  let best = Infinity;
  for (let index = 0; index < times; index++) {
    const started = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return best;
}

describe('the JSON answer writer', () => {
  it('uppercases the hex of the escapes JSON.stringify writes, and nothing that only looks like one', () => {
    const message = 'ctl \u0001 \u001f, literal \\u00ab, escaped-then-real \\\u0002, lone \ud800, raw é and /';
    expect(toServiceStackJson({ Message: message, Success: false })).toBe(
      '{"Message":"ctl \\u0001 \\u001F, literal \\\\u00ab, escaped-then-real \\\\\\u0002, lone \\uD800, raw é and /","Success":false}',
    );
    expect(toServiceStackJson({ Message: null, Success: true })).toBe('{"Success":true}');
  });

  it('writes exactly what the previous writer wrote, for any text of backslashes, u, hex and control characters', () => {
    const pieces = fc.constantFrom('\\', 'u', 'U', '0', '1', 'a', 'f', 'F', 'g', '\u0001', '\u001f', '\u007f', '\ud800', '\udc00', 'é', '"', '/', '\n');
    fc.assert(
      fc.property(fc.string({ unit: pieces, maxLength: 40 }), fc.string({ unit: pieces, maxLength: 8 }), (message, code) => {
        const value = { ResponseStatus: { ErrorCode: code, Message: message, Errors: [{ FieldName: message, Message: null }] } };
        expect(toServiceStackJson(value)).toBe(previousJsonWriter(value));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['backslashes', '\\'.repeat(MEGABYTE)],
    ['backslash-u pairs', '\\u'.repeat(MEGABYTE / 2)],
    ['backslashes before a u and hex', `${'\\'.repeat(MEGABYTE)}u00ab`],
    ['literal \\u00ab escapes', '\\u00ab'.repeat(MEGABYTE / 6)],
    ['control characters', '\u0001'.repeat(MEGABYTE / 8)],
  ])('writes 1 MB of %s in seconds, not hours', (_title, message) => {
    let written = '';
    const ms = fastestMs(() => {
      written = toServiceStackJson({ Message: message, Success: false });
    }, 2);
    // One pass over the text: tens of milliseconds here. The previous writer took 3.4 s for 20,000
    // backslashes and 14.6 s for 40,000 (quadratic), so the first case would have run for days.
    expect(ms).toBeLessThan(5000);
    expect(JSON.parse(written)).toEqual({ Message: message, Success: false });
  });
});

describe('the JSV answer writer', () => {
  it.each([
    ['a colon alone', 'Payment n:1 is now Paid', '"Payment n:1 is now Paid"'],
    ['a comma', 'a,b', '"a,b"'],
    ['a quote, doubled', 'say "hi"', '"say ""hi"""'],
    ['a brace', 'a{b', '"a{b"'],
    ['a bracket', 'a]b', '"a]b"'],
    ['a line break', 'a\nb', '"a\nb"'],
    ['nothing special', "it's fine; really", "it's fine; really"],
  ])('quotes a value with %s only when ServiceStack does', (_title, value, written) => {
    expect(toJsv({ Message: value, Success: true })).toBe(`{Message:${written},Success:True}`);
  });
});
