import pg from 'pg';
import { StoreUnavailableError } from '../../ipn/ports';

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;

/** Ids as numbers, timestamps as the ISO text the SQLite store keeps. */
export const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value).toISOString();
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

// A surrogate without its pair: UTF-8 cannot encode it, and jsonb refuses its \u escape.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * PostgreSQL text cannot hold U+0000 or a lone surrogate, and refusing an authentic callback
 * would only make Qvickly retry it for months: text values get U+FFFD instead (as the UTF-8
 * encoder does for a lone surrogate in a text parameter), the raw body (bytea) keeps the
 * original bytes.
 */
export function storable(values: unknown[]): unknown[] {
  return values.map((value) => (typeof value === 'string' ? value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD') : value));
}

/** A failure of the database or the connection to it, as opposed to a bug in a query. */
export function isDatabaseFailure(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: string } | null)?.code;
  if (code === undefined) return error instanceof Error && /connect|terminat|timeout|ECONN|EPIPE/i.test(error.message);
  // Syntax or access-rule violations (class 42) are ours to fix; everything else is the database's state.
  return !code.startsWith('42');
}
