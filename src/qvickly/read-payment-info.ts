import { unavailable, type PaymentInfo, type PaymentInfoAnswer } from './payment-info-answer';

type Json = Record<string, unknown>;

const MINOR_UNITS = /^-?[0-9]+$/;
// ISO 4217, as the events contract carries it: anything else is not an answer to believe.
const CURRENCY = /^[A-Z]{3}$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A code or log id: Qvickly sends strings, and sometimes integers (DOC `Data-types.md`). */
function identifier(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/**
 * What a verified getPaymentinfo `data` says. Qvickly: "if the response is missing the field
 * code and message the request was successful" (DOC `HTTP-status-codes.md`). Only the fields a
 * confirmation reads are checked; everything else is kept as signed.
 */
export function readPaymentInfo(data: Json): PaymentInfoAnswer {
  if ('code' in data || 'message' in data) {
    const code = identifier(data.code);
    if (code === undefined) return unavailable('unexpected-shape', 'data.code of an error answer is neither a string nor an integer');
    const message = typeof data.message === 'string' ? data.message : '';
    return { kind: 'error', code, message, logid: identifier(data.logid) ?? null };
  }
  const paymentData = data.PaymentData;
  if (!isObject(paymentData)) return unavailable('unexpected-shape', 'data.PaymentData is not an object');
  for (const field of ['status', 'orderid', 'currency'] as const) {
    if (typeof paymentData[field] !== 'string') return unavailable('unexpected-shape', `data.PaymentData.${field} is not a string`);
  }
  const { status, orderid, currency, paymentid_related: related } = paymentData as {
    status: string;
    orderid: string;
    currency: string;
    paymentid_related?: unknown;
  };
  if (status === '') return unavailable('unexpected-shape', 'data.PaymentData.status is empty');
  if (!CURRENCY.test(currency)) return unavailable('unexpected-shape', 'data.PaymentData.currency is not an ISO 4217 code');
  if (related !== undefined && typeof related !== 'string') {
    return unavailable('unexpected-shape', 'data.PaymentData.paymentid_related is not a string');
  }
  const cart = data.Cart;
  const total = isObject(cart) ? cart.Total : undefined;
  const amount = isObject(total) ? total.withtax : undefined;
  if (typeof amount !== 'string' || !MINOR_UNITS.test(amount)) {
    return unavailable('unexpected-shape', 'data.Cart.Total.withtax is not an amount in minor units');
  }
  return {
    kind: 'info',
    status,
    orderid,
    currency,
    amount,
    relatedNumber: related ? related : null,
    data: data as unknown as PaymentInfo,
  };
}
