import { REQUEST_DTO_NAME } from '../../ipn/body';
import type { AnswerBody } from './body';
import { toServiceStackJson } from './json';
import { toJsv } from './jsv';

/** One way to write an answer: its name (route suffix and ?format=), media type, Accept prefixes and writer. */
interface FormatEntry {
  contentType: string;
  /** Prefix-matched against the whole first Accept value, as ServiceStack does (no q-values). */
  acceptPrefixes: readonly string[];
  write(body: AnswerBody): string;
  headers?(body: AnswerBody): Record<string, string>;
}

// The XML and CSV writers pull in libraries (about 11 MB resident) that most deployments never
// use: Qvickly takes the JSON default. They are loaded on the first answer that needs them.
let xml: typeof import('./xml') | undefined;
let csv: typeof import('./csv') | undefined;

/** Every answer format: this table, a writer file each, and the contract's examples. */
const FORMATS = {
  json: { contentType: 'application/json; charset=utf-8', acceptPrefixes: ['application/json'], write: (body) => toServiceStackJson(body.dto) },
  xml: {
    contentType: 'application/xml',
    acceptPrefixes: ['application/xml'],
    write: (body) => (xml ??= require('./xml') as typeof import('./xml')).toXml(body),
  },
  csv: {
    contentType: 'text/csv',
    acceptPrefixes: ['text/csv'],
    write: (body) => (csv ??= require('./csv') as typeof import('./csv')).toCsv(body),
    headers: (body): Record<string, string> =>
      body.kind === 'response' ? { 'Content-Disposition': `attachment;filename="${REQUEST_DTO_NAME}.csv"` } : {},
  },
  jsv: { contentType: 'application/jsv', acceptPrefixes: ['application/jsv'], write: (body) => toJsv(body.dto) },
} satisfies Record<string, FormatEntry>;

export type ResponseFormat = keyof typeof FORMATS;
export const RESPONSE_FORMATS = Object.keys(FORMATS) as ResponseFormat[];

/** The format a name stands for, matched exactly (`.CSV` is not `.csv`). */
export function formatNamed(name: string | undefined): ResponseFormat | undefined {
  return RESPONSE_FORMATS.find((format) => format === name);
}

function fromAccept(accept: string | undefined): ResponseFormat | undefined {
  if (!accept) return undefined;
  const value = (accept.split(';', 1)[0] ?? '').trim().toLowerCase();
  return RESPONSE_FORMATS.find((format) => FORMATS[format].acceptPrefixes.some((prefix) => value.startsWith(prefix)));
}

export interface NegotiationInput {
  /** The route suffix after the last '.', exactly as sent, if any. */
  suffix: string | undefined;
  /** The `format` query value (its key matched case-insensitively), if any. */
  formatParam: string | undefined;
  accept: string | undefined;
}

/** The answer format: route suffix, then `?format=` (cut at '.', any case), then Accept, then JSON. */
export function negotiateFormat(input: NegotiationInput): ResponseFormat {
  return (
    formatNamed(input.suffix) ??
    formatNamed(input.formatParam?.split('.', 1)[0]?.toLowerCase()) ??
    fromAccept(input.accept) ??
    'json'
  );
}

export interface SerializedAnswer {
  contentType: string;
  payload: string;
  headers: Record<string, string>;
}

/** The body and headers ServiceStack writes for a DTO in a format. */
export function serializeAnswer(format: ResponseFormat, body: AnswerBody): SerializedAnswer {
  const entry: FormatEntry = FORMATS[format];
  return { contentType: entry.contentType, payload: entry.write(body), headers: entry.headers?.(body) ?? {} };
}
