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
  const query = new URLSearchParams({
    CompanyId: options.companyId,
    BookingId: options.bookingId,
    ArticleTypeId: String(options.articleTypeId),
  });
  const form = options.encoding === 'form';
  return {
    path: `/payment/billmate/v1/ipncallback?${query.toString()}`,
    headers: { 'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? signed.formBody : signed.jsonBody,
  };
}
