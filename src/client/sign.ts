import { signCallbackUrl } from '../ipn/callback-url';
import { phpJsonEncode } from '../ipn/php-json';
import { signText } from '../ipn/signature';

/** A Qvickly callback signed the way Qvickly signs it, ready to send. */
export interface SignedCallback {
  /** The exact text the hash covers: PHP's json_encode of `data`. */
  signedData: string;
  hash: string;
  /** The raw JSON body Qvickly POSTs: `{"credentials":{"hash":…},"data":…}`. */
  jsonBody: string;
  /** The same envelope as a form, `data` and `credentials` as JSON strings (PHP urlencode). */
  formBody: string;
}

/** PHP's urlencode(): letters, digits and `-_.` kept, space as `+`, everything else %XX. */
export function phpUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Signs callback data with a company's Qvickly secret. Pass an object to have it encoded as PHP
 * does (in the object's key order; JavaScript puts integer-like keys first), or a JSON string to
 * sign those exact bytes.
 */
export function signCallback(secret: string, data: Record<string, unknown> | string): SignedCallback {
  const signedData = typeof data === 'string' ? data : phpJsonEncode(data);
  const hash = signText(secret, signedData);
  const credentials = `{"hash":"${hash}"}`;
  return {
    signedData,
    hash,
    jsonBody: `{"credentials":${credentials},"data":${signedData}}`,
    formBody: `credentials=${phpUrlencode(credentials)}&data=${phpUrlencode(signedData)}`,
  };
}

export interface TestCallbackOptions {
  secret: string;
  companyId: string;
  bookingId: string;
  articleTypeId: number;
  data: Record<string, unknown> | string;
  /** Body shape: Qvickly's raw JSON (default) or the form shape. */
  encoding?: 'json' | 'form';
  /** Sign the callback URL (default true), as BokaMera does when it creates the checkout; optionally for one orderid. */
  signUrl?: boolean;
  orderId?: string;
}

/** A complete signed test request for the callback route: path with query, headers and body. */
export interface TestCallbackRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Builds a signed callback request as Qvickly would send it to a BokaMera callback URL. */
export function generateTestCallback(options: TestCallbackOptions): TestCallbackRequest {
  const signed = signCallback(options.secret, options.data);
  const routing = { companyId: options.companyId, bookingId: options.bookingId, articleTypeId: options.articleTypeId, orderId: options.orderId };
  const url = urlOf(callbackQuery({ ...routing, secret: options.signUrl === false ? undefined : options.secret }), '');
  const form = options.encoding === 'form';
  return {
    path: url,
    headers: { 'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? signed.formBody : signed.jsonBody,
  };
}

/** BokaMera production, the contract's first server. */
export const DEFAULT_CALLBACK_BASE = 'https://api.bokamera.se';
const CALLBACK_PATH = '/payment/billmate/v1/ipncallback';

export interface CallbackUrlOptions {
  /** The company's Qvickly secret: the URL is signed with it. */
  secret: string;
  companyId: string;
  bookingId: string;
  articleTypeId: number;
  /** The checkout's orderid: the callback's data.orderid must then equal it. */
  orderId?: string;
  /** Where the service is reachable; default BokaMera production. */
  base?: string;
}

/** The query of a callback URL: routing, the checkout's OrderId if any, and their Signature when signed. */
export function callbackQuery(options: Omit<CallbackUrlOptions, 'base' | 'secret'> & { secret?: string }) {
  const query: { CompanyId: string; BookingId: string; ArticleTypeId: number; OrderId?: string; Signature?: string } = {
    CompanyId: options.companyId,
    BookingId: options.bookingId,
    ArticleTypeId: options.articleTypeId,
  };
  if (options.orderId !== undefined) query.OrderId = options.orderId;
  if (options.secret !== undefined) query.Signature = signCallbackUrl(options.secret, { ...options, companyId: options.companyId.toLowerCase() });
  return query;
}

function urlOf(query: ReturnType<typeof callbackQuery>, base: string): string {
  const text = new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]));
  return `${base}${CALLBACK_PATH}?${text.toString()}`;
}

/**
 * The callback URL to give Qvickly for a checkout (its `callbackurl`), signed so that the
 * booking a payment pays for cannot be chosen by whoever holds the signed payment data.
 */
export function callbackUrl(options: CallbackUrlOptions): string {
  return urlOf(callbackQuery(options), (options.base ?? DEFAULT_CALLBACK_BASE).replace(/\/+$/, ''));
}
