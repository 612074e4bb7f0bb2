import createClient, { type Client } from 'openapi-fetch';
import type { operations, paths } from '../../generated/openapi';
import type { SignedCallback } from './sign';

export type { components, operations, paths } from '../../generated/openapi';
export { callbackQuery, callbackUrl, DEFAULT_CALLBACK_BASE, generateTestCallback, phpUrlencode, signCallback } from './sign';
export type { CallbackUrlOptions, SignedCallback, TestCallbackOptions, TestCallbackRequest } from './sign';

export type IpnClient = Client<paths>;

/** A typed client for the service (or the mock server) generated from the contract. */
export function createIpnClient(baseUrl: string, fetchImpl?: typeof fetch): IpnClient {
  return createClient<paths>({ baseUrl, fetch: fetchImpl });
}

/** The callback route's query parameters (routing, and the callback URL's OrderId and Signature), as the contract declares them. */
export type CallbackRouting = NonNullable<operations['QvicklyCheckoutIpnCallBack']['parameters']['query']>;

/**
 * POSTs a signed callback to the route `routing` names (a signed callback URL's query: see
 * callbackQuery). The body is sent byte for byte as signed: re-serialising it as JSON would
 * change `\/` and `\u00e5` escapes and break the signature.
 */
export function sendCallback(client: IpnClient, routing: CallbackRouting, signed: SignedCallback, accept = 'application/json') {
  return client.POST('/payment/billmate/v1/ipncallback', {
    params: { query: routing },
    body: JSON.parse(signed.jsonBody) as never,
    bodySerializer: () => signed.jsonBody,
    headers: { Accept: accept, 'Content-Type': 'application/json' },
    parseAs: accept.includes('json') ? 'json' : 'text',
  });
}
