import { endianness } from 'node:os';

/*
 * Everything the CLI prints from the store came from the internet (callback bodies, query
 * strings, statuses), so it never reaches an operator's terminal raw: control characters could
 * move the cursor, rewrite earlier lines, set the window title or hide text, and bidi controls
 * could reorder what is shown. Each of them is written as a readable escape instead.
 *
 * The scanners below look at each code unit (or byte) once, with no regular expression: linear
 * in the input, and a megabyte of hostile text costs tens of milliseconds, not hundreds.
 */

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/**
 * What a terminal would act on or hide: C0 controls, DEL, C1 controls, the Arabic letter mark,
 * LRM/RLM, the line and paragraph separators, the bidi embeddings/overrides and isolates.
 */
const CONTROLS = [
  ...range(0x00, 0x1f),
  0x7f,
  ...range(0x80, 0x9f),
  0x061c,
  0x200e,
  0x200f,
  0x2028,
  0x2029,
  ...range(0x202a, 0x202e),
  ...range(0x2066, 0x2069),
];

/** How a code unit is shown: as it is, `\xNN`, `\uNNNN`, or a backslash and the letter (code) stored here. */
const AS_IS = 0;
const HEX2 = 1;
const HEX4 = 2;
const BACKSLASH = 0x5c;

/** Escape kinds by code unit, for the code units below the table's end (all others are shown as they are). */
function escapeKinds(entries: Array<[number, number]>): Uint8Array {
  const kinds = new Uint8Array(Math.max(...entries.map(([code]) => code)) + 1);
  for (const [code, kind] of entries) kinds[code] = kind;
  return kinds;
}

const NAMED: Readonly<Record<number, string>> = { 0x09: 't', 0x0a: 'n', 0x0d: 'r', [BACKSLASH]: '\\' };

/** For the terminal: the controls, readably, plus the backslash itself so the escaping is reversible. */
const TERMINAL_ESCAPES = escapeKinds(
  [...CONTROLS, BACKSLASH].map((code) => [code, NAMED[code]?.charCodeAt(0) ?? (code < 0x80 ? HEX2 : HEX4)]),
);

/** For JSON.stringify's output: what it leaves raw (it escapes C0 controls and lone surrogates itself). */
const JSON_ESCAPES = escapeKinds(CONTROLS.filter((code) => code >= 0x7f).map((code) => [code, HEX4]));

const BIG_ENDIAN = endianness() === 'BE';
const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

/** UTF-16 code units collected in one array; a string only once, at the end. */
class CodeUnits {
  private readonly units: Uint16Array;
  private length = 0;

  constructor(capacity: number) {
    this.units = new Uint16Array(capacity);
  }

  add(code: number): void {
    this.units[this.length++] = code;
  }

  addSlice(text: string, from: number, to: number): void {
    for (let index = from; index < to; index++) this.units[this.length++] = text.charCodeAt(index);
  }

  addEscape(code: number, kind: number): void {
    const units = this.units;
    units[this.length++] = BACKSLASH;
    if (kind === HEX2 || kind === HEX4) {
      units[this.length++] = kind === HEX2 ? 0x78 /* x */ : 0x75 /* u */;
      for (let shift = kind === HEX2 ? 4 : 12; shift >= 0; shift -= 4) units[this.length++] = HEX_DIGITS[(code >> shift) & 0xf] ?? 0;
    } else {
      units[this.length++] = kind;
    }
  }

  toString(): string {
    const bytes = Buffer.from(this.units.buffer, this.units.byteOffset, this.length * 2);
    if (BIG_ENDIAN) bytes.swap16();
    return bytes.toString('utf16le');
  }
}

const LONGEST_ESCAPE = 6; // \uNNNN

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

function escapeCodeUnits(text: string, kinds: Uint8Array, escapeLoneSurrogates: boolean): string {
  let out: CodeUnits | undefined; // only once something needs escaping
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
      index += 1; // a pair: one character, never escaped
      out?.add(code);
      out?.add(text.charCodeAt(index));
      continue;
    }
    let kind = code < kinds.length ? (kinds[code] ?? AS_IS) : AS_IS;
    if (escapeLoneSurrogates && (isHighSurrogate(code) || isLowSurrogate(code))) kind = HEX4;
    if (kind === AS_IS) {
      out?.add(code);
      continue;
    }
    if (out === undefined) {
      out = new CodeUnits(index + (text.length - index) * LONGEST_ESCAPE);
      out.addSlice(text, 0, index);
    }
    out.addEscape(code, kind);
  }
  return out === undefined ? text : out.toString();
}

/**
 * The text with every character a terminal would act on or hide written as an escape: `\n`,
 * `\r`, `\t`, `\x1b` (other C0 controls and DEL), `\u009b` (C1 controls), `\u202e` (bidi
 * controls and separators), `\ud800` (a lone surrogate); a backslash becomes `\\`. Everything
 * else (any language, emoji) is unchanged, so text holding none of them is returned as it is.
 */
export function escapeForTerminal(text: string): string {
  return escapeCodeUnits(text, TERMINAL_ESCAPES, true);
}

/**
 * Bytes received from the internet, for a terminal: valid UTF-8 is decoded and escaped as by
 * escapeForTerminal, and each byte that is not part of a well-formed UTF-8 sequence is shown as
 * `\xNN` (always 80-ff, so never confused with an escaped control character, which is below 80).
 */
export function escapeBytesForTerminal(bytes: Uint8Array): { text: string; invalidBytes: number } {
  const out = new CodeUnits(bytes.length * 4); // at most \xNN per byte
  let invalidBytes = 0;
  let index = 0;
  while (index < bytes.length) {
    const length = utf8SequenceLength(bytes, index);
    if (length === 0) {
      out.addEscape(bytes[index] ?? 0, HEX2);
      invalidBytes += 1;
      index += 1;
      continue;
    }
    const codePoint = decodeUtf8(bytes, index, length);
    index += length;
    if (codePoint > 0xffff) {
      out.add(0xd800 + ((codePoint - 0x10000) >> 10));
      out.add(0xdc00 + ((codePoint - 0x10000) & 0x3ff));
      continue;
    }
    const kind = codePoint < TERMINAL_ESCAPES.length ? (TERMINAL_ESCAPES[codePoint] ?? AS_IS) : AS_IS;
    if (kind === AS_IS) out.add(codePoint);
    else out.addEscape(codePoint, kind);
  }
  return { text: out.toString(), invalidBytes };
}

const isContinuation = (byte: number | undefined): boolean => byte !== undefined && (byte & 0xc0) === 0x80;

/** The length of the well-formed UTF-8 sequence starting at `index` (Unicode table 3-7), or 0 if there is none. */
function utf8SequenceLength(bytes: Uint8Array, index: number): number {
  const lead = bytes[index] ?? 0;
  if (lead < 0x80) return 1;
  if (lead < 0xc2 || lead > 0xf4) return 0;
  const second = bytes[index + 1] ?? 0;
  if (lead < 0xe0) return isContinuation(second) ? 2 : 0;
  // No overlong forms, no surrogates, nothing above U+10FFFF.
  const secondLow = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const secondHigh = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  if (second < secondLow || second > secondHigh || !isContinuation(bytes[index + 2])) return 0;
  if (lead < 0xf0) return 3;
  return isContinuation(bytes[index + 3]) ? 4 : 0;
}

/** The code point of a sequence utf8SequenceLength found well-formed. */
function decodeUtf8(bytes: Uint8Array, index: number, length: number): number {
  const lead = bytes[index] ?? 0;
  let codePoint = length === 1 ? lead : lead & (0xff >> (length + 1));
  for (let offset = 1; offset < length; offset++) codePoint = (codePoint << 6) | ((bytes[index + offset] ?? 0) & 0x3f);
  return codePoint;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return escapeForTerminal(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

/** Prints rows as aligned columns (every header and cell escaped), or nothing but a note when there are none. */
export function printTable<Row extends object>(rows: readonly Row[], empty: string): void {
  if (rows.length === 0) {
    console.log(empty);
    return;
  }
  const columns = Object.keys(rows[0] ?? {}) as Array<keyof Row>;
  const headers = columns.map((column) => escapeForTerminal(String(column)));
  const body = rows.map((row) => columns.map((column) => cellText(row[column])));
  const widths = headers.map((header, index) => body.reduce((width, cells) => Math.max(width, (cells[index] ?? '').length), header.length));
  const line = (values: string[]): string => values.map((value, index) => value.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
  console.log(line(headers));
  for (const cells of body) console.log(line(cells));
}

/**
 * JSON.stringify's output with the characters it leaves raw (DEL, C1 controls, bidi controls,
 * U+2028/2029) written as \uXXXX: the same JSON value, safe on a terminal. Those characters can
 * only occur inside strings there, where the escape means the same character.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  return text === undefined ? String(value) : escapeCodeUnits(text, JSON_ESCAPES, false);
}

export function printJson(value: unknown): void {
  console.log(formatJson(value));
}

/** What `inbox show` prints of a stored callback: its fields, with the query string and body as received. */
export interface ReceivedCallback {
  readonly query: string;
  readonly body: Uint8Array;
}

const LABEL_WIDTH = 15;

/** A stored callback in human form: one line per field, then the query string and the body, escaped. */
export function formatCallbackDetails(callback: ReceivedCallback): string {
  const { query, body, ...fields } = callback;
  const line = (label: string, value: string): string => `${escapeForTerminal(label).padEnd(LABEL_WIDTH)} ${value}`;
  const shown = escapeBytesForTerminal(body);
  const bytes = `${body.length} byte${body.length === 1 ? '' : 's'}`;
  const note =
    shown.invalidBytes === 0
      ? `(${bytes}${body.length > 0 ? ', valid UTF-8' : ''})`
      : `(${bytes}, ${shown.invalidBytes} of them not valid UTF-8, shown as \\xNN)`;
  return [
    ...Object.entries(fields).map(([field, value]) => line(field, cellText(value))),
    line('query', escapeForTerminal(query)),
    line('body', shown.text),
    `${''.padEnd(LABEL_WIDTH)} ${note}`,
  ].join('\n');
}

export function printCallbackDetails(callback: ReceivedCallback): void {
  console.log(formatCallbackDetails(callback));
}

/** A lookup that found nothing: said on stderr, exit code 1. */
export function printMissing(message: string): void {
  console.error(message);
  process.exitCode = 1;
}
