import type { components } from '../../generated/events';

/** A payment's confirmation with Qvickly, as `payment show --json` and the events carry it. */
export type Confirmation = components['schemas']['Confirmation'];
export type ConfirmationState = Confirmation['state'];

/** The confirmation of a payment queued for a (new) check: what was known is kept until Qvickly answers again. */
export function queuedConfirmation(known: Confirmation | undefined): Confirmation {
  return {
    state: 'pending',
    qvicklyStatus: known?.qvicklyStatus ?? null,
    orderid: known?.orderid ?? null,
    currency: known?.currency ?? null,
    amount: known?.amount ?? null,
    relatedNumber: known?.relatedNumber ?? null,
    checkedAt: known?.checkedAt ?? null,
    attempts: known?.state === 'pending' ? known.attempts : 0,
    error: null,
  };
}
