import { RESPONSE_FORMATS, type ResponseFormat } from './formats/dto';

export interface NegotiationInput {
  /** The route suffix after the last '.', exactly as sent (case-sensitive), if any. */
  suffix: string | undefined;
  /** The `format` query value (its key matched case-insensitively), if any. */
  formatParam: string | undefined;
  accept: string | undefined;
}

function asFormat(value: string | undefined): ResponseFormat | undefined {
  return RESPONSE_FORMATS.find((format) => format === value);
}

// Prefix-matched against the whole first Accept value, as ServiceStack does (no q-values).
const ACCEPT_PREFIXES: ReadonlyArray<[string, ResponseFormat]> = [
  ['application/json', 'json'],
  ['application/xml', 'xml'],
  ['application/jsv', 'jsv'],
  ['text/csv', 'csv'],
];

function fromAccept(accept: string | undefined): ResponseFormat | undefined {
  if (!accept) return undefined;
  const value = accept.split(';')[0]?.trim().toLowerCase() ?? '';
  return ACCEPT_PREFIXES.find(([prefix]) => value.startsWith(prefix))?.[1];
}

/** The answer format: route suffix, then `?format=`, then the Accept header, then JSON. */
export function negotiateFormat(input: NegotiationInput): ResponseFormat {
  return (
    asFormat(input.suffix) ??
    asFormat(input.formatParam?.split('.')[0]?.toLowerCase()) ??
    fromAccept(input.accept) ??
    'json'
  );
}
