import type { components } from '../../generated/qvickly-payment-api';

type Schemas = components['schemas'];

/** The `data` of a successful getPaymentinfo answer, exactly as Qvickly signed it. */
export type PaymentInfo = Schemas['PaymentInfo'];

/** Qvickly knows the payment: the fields a confirmation needs, and all of the verified data. */
export interface PaymentInfoFound {
  kind: 'info';
  status: Schemas['PaymentData']['status'];
  orderid: Schemas['PaymentData']['orderid'];
  currency: Schemas['PaymentData']['currency'];
  /** `Cart.Total.withtax`: minor units (öre, cent) as a decimal string. */
  amount: Schemas['CartTotal']['withtax'];
  /** `PaymentData.paymentid_related`, or null when Qvickly left it empty or out. */
  relatedNumber: string | null;
  data: PaymentInfo;
}

/** Qvickly answered with one of its error codes (still HTTP 200, still signed). */
export interface PaymentApiErrorAnswer {
  kind: 'error';
  code: Schemas['PaymentApiError']['code'];
  message: Schemas['PaymentApiError']['message'];
  /** Qvickly's id of the call in its logs, or null when it gave none. */
  logid: string | null;
}

export type UnavailableReason =
  | 'aborted'
  | 'timeout'
  | 'transport'
  | 'http-status'
  | 'unparsable'
  | 'unsigned'
  | 'bad-signature'
  | 'unexpected-shape';

/** No answer that can be believed: nothing is known about the payment; try again later. */
export interface QvicklyUnavailable {
  kind: 'unavailable';
  reason: UnavailableReason;
  detail: string;
}

export type PaymentInfoAnswer = PaymentInfoFound | PaymentApiErrorAnswer | QvicklyUnavailable;

export function unavailable(reason: UnavailableReason, detail: string): QvicklyUnavailable {
  return { kind: 'unavailable', reason, detail };
}
