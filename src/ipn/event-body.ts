import type { components } from '../../generated/events';

type Schemas = components['schemas'];

/** The three kinds of event, as named in openapi/events.yaml. */
export type EventType = Schemas['EventType'];
/** The payment after the change: the `data` of every event. */
export type PaymentEventData = Schemas['PaymentEventData'];
export type Confirmation = Schemas['Confirmation'];
export type ConfirmationError = Schemas['ConfirmationError'];
export type PaymentCategory = Schemas['PaymentCategory'];
/** An event's body as the booking system receives it. */
export type PaymentEvent =
  | Schemas['PaymentStatusChangedEvent']
  | Schemas['PaymentConflictEvent']
  | Schemas['PaymentConfirmationChangedEvent'];

/**
 * The exact JSON text POSTed for an event. It is computed once, when the event is recorded,
 * and stored: every retry sends these bytes, so the signature and the receiver's de-duplication
 * see the same message. Members come in the contract's order whatever the order of `data`'s
 * keys, and `timestamp` is when the change happened (`data.occurredAt`), not when it is sent.
 */
export function eventBody(type: EventType, data: PaymentEventData): string {
  // Each literal is checked by the compiler against the generated type: a member the contract
  // adds or removes breaks the build here instead of silently changing the wire format.
  const body = { type, timestamp: data.occurredAt, data: orderedData(data) } as PaymentEvent;
  return JSON.stringify(body);
}

function orderedData(data: PaymentEventData): PaymentEventData {
  return {
    eventId: data.eventId,
    companyId: data.companyId,
    bookingId: data.bookingId,
    articleTypeId: data.articleTypeId,
    number: data.number,
    orderid: data.orderid,
    status: data.status,
    category: data.category,
    previousStatus: data.previousStatus,
    previousCategory: data.previousCategory,
    routing: data.routing,
    confirmation: data.confirmation && orderedConfirmation(data.confirmation),
    callbackId: data.callbackId,
    occurredAt: data.occurredAt,
  };
}

function orderedConfirmation(confirmation: Confirmation): Confirmation {
  return {
    state: confirmation.state,
    qvicklyStatus: confirmation.qvicklyStatus,
    orderid: confirmation.orderid,
    currency: confirmation.currency,
    amount: confirmation.amount,
    relatedNumber: confirmation.relatedNumber,
    checkedAt: confirmation.checkedAt,
    attempts: confirmation.attempts,
    error: confirmation.error && { code: confirmation.error.code, message: confirmation.error.message },
  };
}
