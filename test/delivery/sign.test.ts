import { Webhook } from 'standardwebhooks';
import { eventBody } from '../../src/ipn/event-body';
import { assertWebhookSecret, signEvent } from '../../src/delivery/sign';
import { eventExamples, eventsDocument } from '../support/events-contract';
import { verifyIndependently } from '../support/webhook-receiver';

// The example secret the contract's introduction documents (Standard Webhooks' own example).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const paid = eventExamples.find(([type, name]) => type === 'payment.status_changed' && name === 'paid')?.[2];
if (!paid) throw new Error('the contract has no "paid" example');
const body = eventBody(paid.type, paid.data);
const sentAt = new Date('2026-11-20T14:03:07.912Z');

/** Webhook.verify checks the timestamp against Date.now(); these tests pin it to `at`. */
function verifyAt(at: Date, secret: string, payload: string, headers: Record<string, string>): unknown {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(at.getTime());
  try {
    return new Webhook(secret).verify(payload, headers);
  } finally {
    spy.mockRestore();
  }
}

describe('signEvent', () => {
  it("produces the contract's example headers for its paid example and example secret", () => {
    const parameters = eventsDocument.components.parameters;
    expect(signEvent(SECRET, paid.data.eventId, sentAt, body)).toEqual({
      'webhook-id': parameters.WebhookId?.example,
      'webhook-timestamp': parameters.WebhookTimestamp?.example,
      'webhook-signature': parameters.WebhookSignature?.example,
    });
    expect(parameters.WebhookTimestamp?.example).toBe('1795183387');
  });

  it('uses the event id as webhook-id and the whole seconds of the attempt as webhook-timestamp', () => {
    const headers = signEvent(SECRET, 'evt-1', new Date('2026-11-20T14:03:07.999Z'), body);
    expect(headers['webhook-id']).toBe('evt-1');
    expect(headers['webhook-timestamp']).toBe(String(Date.UTC(2026, 10, 20, 14, 3, 7) / 1000));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('is accepted by standardwebhooks Webhook.verify, which returns the parsed body', () => {
    const headers = signEvent(SECRET, paid.data.eventId, sentAt, body);
    expect(verifyAt(sentAt, SECRET, body, { ...headers })).toEqual(paid);
  });

  it('is accepted by an HMAC-SHA256 check written with node:crypto from the spec', () => {
    const headers = signEvent(SECRET, paid.data.eventId, sentAt, body);
    expect(
      verifyIndependently(SECRET, headers['webhook-id'], headers['webhook-timestamp'], headers['webhook-signature'], Buffer.from(body), sentAt),
    ).toBe(true);
  });

  it('is refused by both checks with another secret, another id, another timestamp or one changed byte', () => {
    const headers = signEvent(SECRET, paid.data.eventId, sentAt, body);
    const other = 'whsec_' + Buffer.from('another key of twenty-four bytes').toString('base64');
    const changed = body.replace('"Paid"', '"Paie"');
    const cases: Array<[string, string, Record<string, string>]> = [
      [other, body, { ...headers }],
      [SECRET, body, { ...headers, 'webhook-id': 'another-id' }],
      [SECRET, body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) }],
      [SECRET, changed, { ...headers }],
    ];
    for (const [secret, payload, given] of cases) {
      expect(() => verifyAt(sentAt, secret, payload, given)).toThrow('No matching signature found');
      expect(
        verifyIndependently(secret, given['webhook-id'] ?? '', given['webhook-timestamp'] ?? '', given['webhook-signature'] ?? '', Buffer.from(payload), sentAt),
      ).toBe(false);
    }
  });

  it('signs non-ASCII bodies over their UTF-8 bytes, as both checks expect', () => {
    const text = eventBody(paid.type, { ...paid.data, bookingId: 'Bokning åäö ✓' });
    const headers = signEvent(SECRET, 'evt-utf8', sentAt, text);
    expect(verifyAt(sentAt, SECRET, text, { ...headers })).toMatchObject({ data: { bookingId: 'Bokning åäö ✓' } });
    expect(verifyIndependently(SECRET, 'evt-utf8', headers['webhook-timestamp'], headers['webhook-signature'], Buffer.from(text), sentAt)).toBe(true);
  });
});

describe('assertWebhookSecret', () => {
  it.each([SECRET, 'whsec_' + Buffer.from('k').toString('base64')])('accepts %s', (secret) => {
    expect(() => assertWebhookSecret(secret)).not.toThrow();
  });

  it.each(['', 'whsec_', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_not base64!', 'whsec_abc'])('refuses "%s"', (secret) => {
    expect(() => assertWebhookSecret(secret)).toThrow('The webhook secret must be "whsec_" followed by the base64 of the key');
  });
});
