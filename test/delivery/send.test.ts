import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendEvent, type SendOptions } from '../../src/delivery/send';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'whsec_' + Buffer.from('a secret key of 32 bytes for tests!').toString('base64');
// Generous, so that a loaded machine never turns an on-time answer into a timeout; the
// timeout test sets its own short one against a receiver that does not answer at all.
const TIMEOUT_MS = 10_000;
const SHORT_TIMEOUT_MS = 300;
const event = { eventId: '0f8d5c1e-3b7a-4e62-9c2d-5a1f8e6b7c90', body: '{"type":"payment.status_changed","data":{"bookingId":"åäö"}}' };

let receiver: WebhookReceiver;
let options: SendOptions;

beforeEach(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
  options = { url: receiver.url, secret: SECRET, timeoutMs: TIMEOUT_MS };
});
afterEach(() => receiver.close());

describe('sendEvent', () => {
  it('POSTs the body byte for byte as application/json, signed, and a 200 answer is delivered', async () => {
    const now = new Date();
    const attempt = await sendEvent(options, event, now);
    expect(attempt).toEqual({ attemptedAt: now.toISOString(), statusCode: 200, durationMs: expect.any(Number), error: null, verdict: 'delivered' });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({
      eventId: event.eventId,
      timestamp: Math.floor(now.getTime() / 1000),
      body: event.body,
      contentType: 'application/json',
      verifiedByLibrary: true,
      verifiedIndependently: true,
      answered2xx: true,
    });
  });

  it('sends the same webhook-id and the same bytes on every retry, with a fresh timestamp', async () => {
    receiver.answerNext(500, 429, 'destroy');
    const first = new Date();
    for (let i = 0; i < 4; i++) await sendEvent(options, event, new Date(first.getTime() + i * 1000));
    expect(receiver.requests.map((request) => [request.eventId, request.body])).toEqual(Array(4).fill([event.eventId, event.body]));
    expect(receiver.requests.map((request) => request.timestamp - receiver.requests[0]!.timestamp)).toEqual([0, 1, 2, 3]);
    expect(receiver.requests.every((request) => request.verifiedByLibrary && request.verifiedIndependently)).toBe(true);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it.each([
    [500, 'retry'],
    [429, 'retry'],
    [410, 'gone'],
  ] as const)('answered %i, the verdict is %s with that status and no error', async (status, verdict) => {
    receiver.answer(status);
    expect(await sendEvent(options, event, new Date())).toMatchObject({ statusCode: status, error: null, verdict });
  });

  it('no complete answer within the timeout is a retry, after about the timeout', async () => {
    receiver.answer('slow');
    const attempt = await sendEvent({ ...options, timeoutMs: SHORT_TIMEOUT_MS }, event, new Date());
    expect(attempt).toMatchObject({ statusCode: null, error: `timeout: no complete answer within ${SHORT_TIMEOUT_MS} ms`, verdict: 'retry' });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS - 5);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('a connection destroyed after a 200 status line but before the end of the answer is a retry', async () => {
    receiver.answer('destroy');
    const attempt = await sendEvent(options, event, new Date());
    expect(attempt).toMatchObject({ statusCode: null, verdict: 'retry' });
    expect(attempt.error).toMatch(/^terminated: /);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('a receiver that is down (connection refused) is a retry naming the error', async () => {
    await receiver.down();
    const port = new URL(receiver.url).port;
    expect(await sendEvent(options, event, new Date())).toMatchObject({
      statusCode: null,
      error: `connect ECONNREFUSED 127.0.0.1:${port}`,
      verdict: 'retry',
    });
  });

  it('does not follow a redirect: a 307 is a retry, and the request went to the configured URL only', async () => {
    const redirecting = createServer((request, response) => {
      request.resume();
      response.writeHead(307, { location: receiver.url }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`;
      expect(await sendEvent({ ...options, url }, event, new Date())).toMatchObject({ statusCode: 307, error: null, verdict: 'retry' });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      redirecting.closeAllConnections();
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });

  it('a connection reset before any answer is a retry naming the code', async () => {
    const post = jest.fn(async () => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
    expect(await sendEvent({ ...options, post }, event, new Date())).toMatchObject({ statusCode: null, error: 'ECONNRESET: socket hang up', verdict: 'retry' });
    expect(post).toHaveBeenCalledWith(options.url, expect.objectContaining({ 'content-type': 'application/json', 'webhook-id': event.eventId }), event.body, TIMEOUT_MS);
  });

  it('never throws: a failing transport or an unusable secret become a retry with the reason', async () => {
    const post = jest.fn(async () => {
      throw new Error('boom');
    });
    expect(await sendEvent({ ...options, post }, event, new Date())).toMatchObject({ statusCode: null, error: 'boom', verdict: 'retry' });
    expect(await sendEvent({ ...options, secret: 'whsec_' }, event, new Date())).toMatchObject({
      statusCode: null,
      error: "Secret can't be empty.",
      verdict: 'retry',
    });
  });
});
