import type { components } from '../../generated/qvickly-payment-api';
import { phpJsonEncode } from '../ipn/php-json';
import { signText } from '../ipn/signature';

type Schemas = components['schemas'];

/** A merchant's Qvickly account. One account serves live and test calls; `test` picks the mode. */
export interface QvicklyAccount {
  merchantId: string;
  secret: string;
  test: boolean;
}

/** The API version the request format follows (DOC `Request-payload.md`). */
const API_VERSION = '2.5.0';

const FUNCTION: Schemas['GetPaymentinfoRequest']['function'] = 'getPaymentinfo';

/**
 * The JSON body of a signed getPaymentinfo request. `data` is PHP's json_encode of
 * `{"number": …}`, embedded exactly as signed, so Qvickly gets the signed bytes whether it
 * hashes the raw text or decodes and re-encodes it.
 */
export function getPaymentinfoRequestBody(account: QvicklyAccount, number: string, caller: { client: string; time: Date }): string {
  const query: Schemas['PaymentinfoQuery'] = { number };
  const signedText = phpJsonEncode(query);
  const credentials: Schemas['RequestCredentials'] = {
    id: account.merchantId,
    hash: signText(account.secret, signedText),
    version: API_VERSION,
    client: caller.client,
    language: 'sv',
    time: caller.time.getTime() / 1000,
    ...(account.test ? { test: 'true' } : {}),
  };
  return `{"credentials":${JSON.stringify(credentials)},"data":${signedText},"function":${JSON.stringify(FUNCTION)}}`;
}
