import type { Settlement } from '../../ipn/ports';
import { storable } from './values';

/** One callback's whole write: one statement, so one round trip and one transaction. */
export const SETTLE_QUERY = 'SELECT ipn_settle($1::jsonb, $2) AS callback_id';

/** ipn_settle's arguments: the settlement as JSON (U+0000 made storable), the body as bytes. */
export function settleValues({ entry, expectedVersion, fingerprint, payment, history, confirm, events }: Settlement): unknown[] {
  const { body, ...fields } = entry;
  const settlement = {
    entry: fields,
    expectedVersion: expectedVersion ?? null,
    fingerprint: fingerprint ?? null,
    payment: payment
      ? { change: payment.change, orderid: payment.state.orderid, category: payment.state.category, url: payment.state.url, routing: payment.state.routing }
      : null,
    history: history ? { category: history.category } : null,
    confirm: confirm ?? null,
    events: (events ?? []).map(({ type, held, data }) => ({
      ...data,
      type,
      state: held ? 'held' : 'pending',
      confirmation: data.confirmation === null ? null : JSON.stringify(data.confirmation),
    })),
  };
  return [JSON.stringify(settlement, (_key, value: unknown) => storable([value])[0]), body];
}
