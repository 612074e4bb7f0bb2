import { eventBody, type PaymentEvent, type PaymentEventData } from '../../src/ipn/event-body';
import { EVENT_TYPES, eventExamples, eventSchemaValidator, schemaMembers } from '../support/events-contract';

const BODY_SCHEMAS = {
  'payment.status_changed': 'PaymentStatusChangedEvent',
  'payment.conflict': 'PaymentConflictEvent',
  'payment.confirmation_changed': 'PaymentConfirmationChangedEvent',
} as const;

/** The same members, in reverse order at every level. */
function reversedKeys<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .reverse()
      .map(([key, member]) => [key, reversedKeys(member)]),
  ) as T;
}

const example = (type: string): PaymentEvent => {
  const found = eventExamples.find(([exampleType]) => exampleType === type);
  if (!found) throw new Error(`no example for ${type}`);
  return found[2];
};

describe('eventBody', () => {
  it('the contract has a webhook and at least one example for each of the three event types', () => {
    expect(EVENT_TYPES).toEqual(['payment.status_changed', 'payment.conflict', 'payment.confirmation_changed']);
    expect(new Set(eventExamples.map(([type]) => type))).toEqual(new Set(EVENT_TYPES));
  });

  it.each(eventExamples)('the %s example "%s" is valid against its body schema', (type, _name, body) => {
    const validate = eventSchemaValidator(BODY_SCHEMAS[type]);
    expect(validate(body)).toBe(true);
    expect(validate.errors).toBeNull();
  });

  it.each(eventExamples)('writes the %s example "%s" byte for byte from its type and data, in any key order', (type, _name, body) => {
    expect(eventBody(type, body.data)).toBe(JSON.stringify(body));
    expect(eventBody(type, reversedKeys(body.data))).toBe(JSON.stringify(body));
  });

  it('writes the members in the order the contract lists them, at every level', () => {
    const withError = eventExamples.find(([, , body]) => body.data.confirmation?.error)?.[2];
    if (!withError) throw new Error('the contract has no example with a confirmation error');
    const written = JSON.parse(eventBody(withError.type, reversedKeys(withError.data))) as PaymentEvent;
    expect(Object.keys(written)).toEqual(schemaMembers('PaymentConfirmationChangedEvent'));
    expect(Object.keys(written.data)).toEqual(schemaMembers('PaymentEventData'));
    expect(Object.keys(written.data.confirmation ?? {})).toEqual(schemaMembers('Confirmation'));
    expect(Object.keys(written.data.confirmation?.error ?? {})).toEqual(schemaMembers('ConfirmationError'));
  });

  it('uses data.occurredAt as the timestamp and drops members the contract does not have', () => {
    const data = { ...example('payment.conflict').data, confirmation: null, internalNote: 'x' } as PaymentEventData;
    const written = JSON.parse(eventBody('payment.conflict', data)) as PaymentEvent;
    expect(written.timestamp).toBe(data.occurredAt);
    expect(written.data.confirmation).toBeNull();
    expect(written.data).not.toHaveProperty('internalNote');
    expect(eventSchemaValidator('PaymentConflictEvent')(written)).toBe(true);
  });
});

describe('the body schemas', () => {
  it('refuse a body whose category is unknown or whose amount is not a string of digits', () => {
    const validate = eventSchemaValidator('PaymentConfirmationChangedEvent');
    const body = example('payment.confirmation_changed');
    const confirmation = body.data.confirmation as NonNullable<PaymentEventData['confirmation']>;
    expect(validate({ ...body, data: { ...body.data, category: 'paid' } })).toBe(false);
    expect(validate({ ...body, data: { ...body.data, confirmation: { ...confirmation, amount: 499 } } })).toBe(false);
    expect(validate({ ...body, data: { ...body.data, confirmation: { ...confirmation, amount: '499.00' } } })).toBe(false);
    expect(validate({ ...body, type: 'payment.conflict' })).toBe(false);
  });
});
