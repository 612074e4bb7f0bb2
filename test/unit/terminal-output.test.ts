import fc from 'fast-check';
import {
  escapeBytesForTerminal,
  escapeForTerminal,
  formatCallbackDetails,
  formatJson,
  printCallbackDetails,
  printJson,
  printTable,
} from '../../src/cli/output';
import type { StoredCallback } from '../../src/ipn/ports';

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));

const C0 = range(0x00, 0x1f);
const DEL = ['\x7f'];
const C1 = range(0x80, 0x9f);
const BIDI = [...range(0x202a, 0x202e), ...range(0x2066, 0x2069), '\u061c', '\u200e', '\u200f'];
const SEPARATORS = ['\u2028', '\u2029'];
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];
const UNSAFE = [...C0, ...DEL, ...C1, ...BIDI, ...SEPARATORS];
/** Any character a terminal would act on, once escaping is done; the backslash only as part of an escape. */
const RAW_UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

/** The inverse of escapeForTerminal, strict: anything it would not have written is an error. */
function unescapeText(text: string): string {
  return decodeEscapes(text, (code) => String.fromCharCode(code), (literal) => literal).join('');
}

/** The inverse of escapeBytesForTerminal: the original bytes. */
function unescapeBytes(text: string): Buffer {
  const byteOf = (code: number, isByte: boolean): Buffer =>
    isByte && code >= 0x80 ? Buffer.from([code]) : Buffer.from(String.fromCharCode(code), 'utf8');
  return Buffer.concat(decodeEscapes(text, byteOf, (literal) => Buffer.from(literal, 'utf8')));
}

function decodeEscapes<T>(text: string, escaped: (code: number, isByte: boolean) => T, literal: (text: string) => T): T[] {
  const out: T[] = [];
  let start = 0;
  let index = text.indexOf('\\');
  while (index !== -1) {
    out.push(literal(text.slice(start, index)));
    const kind = text[index + 1];
    const simple: Record<string, number> = { '\\': 0x5c, n: 0x0a, r: 0x0d, t: 0x09 };
    let length: number;
    if (kind !== undefined && kind in simple) {
      out.push(escaped(simple[kind] as number, false));
      length = 2;
    } else if (kind === 'x' && /^[0-9a-f]{2}$/.test(text.slice(index + 2, index + 4))) {
      out.push(escaped(parseInt(text.slice(index + 2, index + 4), 16), true));
      length = 4;
    } else if (kind === 'u' && /^[0-9a-f]{4}$/.test(text.slice(index + 2, index + 6))) {
      out.push(escaped(parseInt(text.slice(index + 2, index + 6), 16), false));
      length = 6;
    } else {
      throw new Error(`not an escape at ${index}: ${JSON.stringify(text.slice(index, index + 6))}`);
    }
    start = index + length;
    index = text.indexOf('\\', start);
  }
  out.push(literal(text.slice(start)));
  return out;
}

/** Code units, often the dangerous ones and those that look like escapes. */
const hostileUnit = fc.oneof(
  fc.constantFrom(...UNSAFE, ...LONE_SURROGATES, '\\', 'x', 'u', '1', 'b', 'e', ' '),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
);
const hostileString = fc.string({ unit: hostileUnit, maxLength: 80 });

function captureConsole(): string[] {
  const lines: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  return lines;
}
afterEach(() => jest.restoreAllMocks());

describe('escaping text for a terminal', () => {
  it.each([
    ['an ANSI colour', '\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
    ['a title-setting OSC', '\x1b]0;owned\x07', '\\x1b]0;owned\\x07'],
    ['a line feed, carriage return and tab', 'a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['NUL, backspace and DEL', '\x00\x08\x7f', '\\x00\\x08\\x7f'],
    ['C1 CSI and NEL', '\x9b2J\x85', '\\u009b2J\\u0085'],
    ['a right-to-left override (Trojan Source)', 'paid\u202e  diaP', 'paid\\u202e  diaP'],
    ['an isolate and its end', '\u2067x\u2069', '\\u2067x\\u2069'],
    ['the line separator', 'a\u2028b', 'a\\u2028b'],
    ['a backslash, so the escaping is reversible', 'C:\\x1b', 'C:\\\\x1b'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
  ])('shows %s escaped', (_title, text, shown) => {
    expect(escapeForTerminal(text)).toBe(shown);
  });

  it('escapes exactly the C0 and C1 controls, DEL, bidi controls, separators and the backslash among all BMP code units', () => {
    const expected = new Set([...UNSAFE, '\\']);
    for (let code = 0; code <= 0xffff; code++) {
      const character = String.fromCharCode(code);
      const isSurrogate = code >= 0xd800 && code <= 0xdfff;
      expect([code, escapeForTerminal(character) !== character]).toEqual([code, expected.has(character) || isSurrogate]);
    }
  });

  it('leaves ordinary text alone: Swedish, emoji, right-to-left letters, ZWJ sequences', () => {
    const text = 'Betalning för bokning 17 – åäö ÅÄÖ € 😀 👩‍💻 مرحبا שלום';
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('is reversible and leaves nothing raw a terminal would act on', () => {
    fc.assert(
      fc.property(hostileString, (text) => {
        const shown = escapeForTerminal(text);
        expect(RAW_UNSAFE.test(shown)).toBe(false);
        expect(unescapeText(shown)).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes linear time on 1 MiB of hostile input (a generous guard, measured once)', () => {
    const pattern = '\x1b\u202e\\\x9b\ud800\n[';
    const hostile = pattern.repeat(Math.ceil(2 ** 20 / pattern.length)).slice(0, 2 ** 20);
    const started = performance.now();
    const shown = escapeForTerminal(hostile);
    const elapsed = performance.now() - started;
    expect(shown.length).toBeGreaterThan(hostile.length * 3);
    expect(elapsed).toBeLessThan(500); // typically 30-100 ms here; a quadratic scan would take minutes
  });
});

describe('escaping received bytes', () => {
  const bytes = (...values: number[]): Buffer => Buffer.from(values);

  it.each([
    ['valid UTF-8', Buffer.from('{"status":"Paid","name":"Åsa 😀"}'), '{"status":"Paid","name":"Åsa 😀"}', 0],
    ['a stray 0xff', bytes(0x61, 0xff, 0x62), 'a\\xffb', 1],
    ['a sequence cut short', bytes(0x61, 0xc3), 'a\\xc3', 1],
    ['an overlong encoding of /', bytes(0xc0, 0xaf), '\\xc0\\xaf', 2],
    ['an encoded surrogate', bytes(0xed, 0xa0, 0x80), '\\xed\\xa0\\x80', 3],
    ['a code point above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), '\\xf4\\x90\\x80\\x80', 4],
    ['a C1 CSI encoded as UTF-8 (a character, not a bad byte)', bytes(0xc2, 0x9b), '\\u009b', 0],
    ['ESC and a backslash', bytes(0x1b, 0x5c), '\\x1b\\\\', 0],
    ['nothing', bytes(), '', 0],
  ])('%s', (_title, body, text, invalidBytes) => {
    expect(escapeBytesForTerminal(body)).toEqual({ text, invalidBytes });
  });

  it('reads a Uint8Array view at an offset', () => {
    const backing = Buffer.from('xx\x1bab\xffyy', 'latin1');
    expect(escapeBytesForTerminal(new Uint8Array(backing.buffer, backing.byteOffset + 2, 4))).toEqual({ text: '\\x1bab\\xff', invalidBytes: 1 });
  });

  it('finds invalid UTF-8 exactly when Node does, and gives back the same bytes', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x1b, 0x5c, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xff));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 60 }).map((values) => Buffer.from(values)), (body) => {
        const shown = escapeBytesForTerminal(body);
        const nodeValid = Buffer.from(body.toString('utf8'), 'utf8').equals(body);
        expect(shown.invalidBytes === 0).toBe(nodeValid);
        expect(RAW_UNSAFE.test(shown.text)).toBe(false);
        expect(unescapeBytes(shown.text).equals(body)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('takes linear time on 1 MiB of invalid bytes (a generous guard, measured once)', () => {
    const hostile = Buffer.alloc(2 ** 20);
    for (let i = 0; i < hostile.length; i++) hostile[i] = [0xff, 0x1b, 0xc3, 0xe2, 0x80][i % 5] as number;
    const started = performance.now();
    const shown = escapeBytesForTerminal(hostile);
    const elapsed = performance.now() - started;
    expect(shown.invalidBytes).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(500); // typically 30-100 ms here; a quadratic scan would take minutes
  });
});

describe('printing a table', () => {
  it('escapes every header and cell, and aligns on the escaped text', () => {
    const lines = captureConsole();
    printTable(
      [
        { number: '1000236', status: 'Paid\x1b[2J', reason: null },
        { number: '7\u202e', status: 'Cancelled', reason: 'line\nbreak' },
      ],
      'No payments.',
    );
    expect(lines).toEqual([
      'number   status       reason',
      '1000236  Paid\\x1b[2J  -',
      '7\\u202e  Cancelled    line\\nbreak',
    ]);
  });

  it('escapes a header too', () => {
    const lines = captureConsole();
    printTable([{ ['col\x1b']: 1 }], 'none');
    expect(lines).toEqual(['col\\x1b', '1']);
  });

  it('prints only the note when there are no rows', () => {
    const lines = captureConsole();
    printTable([], 'No payments.');
    expect(lines).toEqual(['No payments.']);
  });
});

describe('printing JSON', () => {
  it('escapes what JSON.stringify leaves raw, as \\uXXXX', () => {
    expect(formatJson({ status: '\x9b\u202e\u2028\u2029\x7f\u2066', ok: 'åäö 😀', esc: '\x1b' })).toBe(
      '{\n  "status": "\\u009b\\u202e\\u2028\\u2029\\u007f\\u2066",\n  "ok": "åäö 😀",\n  "esc": "\\u001b"\n}',
    );
  });

  it('parses back to the same value, with nothing raw a terminal would act on', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: hostileUnit, maxDepth: 3 }), (value) => {
        const text = formatJson(value);
        // Its own line breaks are the layout; every other one is escaped.
        expect(RAW_UNSAFE.test(text.replaceAll('\n', ''))).toBe(false);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps an escaped backslash before an escaped character apart', () => {
    const value = { v: '\\\u202e\\\\\x85' };
    expect(JSON.parse(formatJson(value))).toEqual(value);
  });

  it('prints it with console.log, and undefined as before', () => {
    const lines = captureConsole();
    printJson([{ a: '\u202e' }]);
    printJson(undefined);
    expect(lines).toEqual(['[\n  {\n    "a": "\\u202e"\n  }\n]', 'undefined']);
  });
});

describe('printing a received callback (inbox show)', () => {
  const callback: StoredCallback = {
    callbackId: 42,
    receivedAt: '2026-11-02T10:00:00.000Z',
    contentType: 'application/json',
    contentEncoding: null,
    query: 'CompanyId=7c9e6679-7425-40de-944b-e07fc1f90ae7&BookingId=\x1b]0;x\x07',
    body: Buffer.concat([Buffer.from('{"data":{"status":"Paid\u202e"}}\n'), Buffer.from([0xff])]),
    remoteAddress: null,
    companyId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    bookingId: '\x1b]0;x\x07',
    articleTypeId: 2,
    number: '1000236',
    status: 'Paid\u202e',
    authentic: false,
    outcome: 'invalid',
    reason: 'bad\r\nthing',
    replayOf: null,
    duplicateOf: null,
    secretUsed: null,
    routing: null,
  };

  it('shows every field escaped, then the query and body, and says how many bytes were not UTF-8', () => {
    expect(formatCallbackDetails(callback).split('\n')).toEqual([
      'callbackId      42',
      'receivedAt      2026-11-02T10:00:00.000Z',
      'contentType     application/json',
      'contentEncoding -',
      'remoteAddress   -',
      'companyId       7c9e6679-7425-40de-944b-e07fc1f90ae7',
      'bookingId       \\x1b]0;x\\x07',
      'articleTypeId   2',
      'number          1000236',
      'status          Paid\\u202e',
      'authentic       false',
      'outcome         invalid',
      'reason          bad\\r\\nthing',
      'replayOf        -',
      'duplicateOf     -',
      'secretUsed      -',
      'routing         -',
      'query           CompanyId=7c9e6679-7425-40de-944b-e07fc1f90ae7&BookingId=\\x1b]0;x\\x07',
      'body            {"data":{"status":"Paid\\u202e"}}\\n\\xff',
      '                (31 bytes, 1 of them not valid UTF-8, shown as \\xNN)',
    ]);
  });

  it('says when the body is valid UTF-8 or empty', () => {
    expect(formatCallbackDetails({ query: '', body: Buffer.from('å') }).split('\n')).toEqual([
      'query           ',
      'body            å',
      '                (2 bytes, valid UTF-8)',
    ]);
    expect(formatCallbackDetails({ query: 'a=1', body: Buffer.alloc(0) }).split('\n').at(-1)).toBe('                (0 bytes)');
  });

  it('prints it with console.log', () => {
    const lines = captureConsole();
    printCallbackDetails({ query: 'x', body: Buffer.from('\x1b') });
    expect(lines).toEqual([formatCallbackDetails({ query: 'x', body: Buffer.from('\x1b') })]);
    expect(lines.join('')).not.toContain('\x1b');
  });
});
