import { createServer } from 'node:net';
import { createQvicklyPaymentApi, type PaymentInfoAnswer, type QvicklyAccount } from '../../src/qvickly/payment-api';
import { createFakeQvickly, fakePaymentInfoData, type FakePayment } from '../support/fake-qvickly';

// Every kind of answer getPaymentInfo gives, each against a fake Qvickly that misbehaves on cue.

const account: QvicklyAccount = { merchantId: '4711', secret: 'merchant-4711-secret', test: false };
const paid: FakePayment = { status: 'Paid', orderid: 'BM-B810652', currency: 'SEK', withtax: '69500' };
const credited: FakePayment = { status: 'Credited', orderid: 'BM-B810652', currency: 'SEK', withtax: '69500', paymentidRelated: '810652' };

const fake = createFakeQvickly();
const TIMEOUT_MS = 300;

function api(timeoutMs = 5000): ReturnType<typeof createQvicklyPaymentApi> {
  return createQvicklyPaymentApi({ baseUrl: fake.url, timeoutMs });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  await fake.start();
  fake.addMerchant(account.merchantId, account.secret);
});

beforeEach(() => {
  fake.reset();
  fake.setPayment('810652', paid);
  fake.setPayment('810653', credited);
});

afterAll(async () => {
  await fake.stop();
});

describe('getPaymentInfo answers what a verified answer says', () => {
  it('a paid payment is info with its status, orderid, currency, amount in minor units, no related number and the whole signed data', async () => {
    const answer = await api().getPaymentInfo(account, '810652');
    expect(answer).toEqual({
      kind: 'info',
      status: 'Paid',
      orderid: 'BM-B810652',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: null,
      data: fakePaymentInfoData(paid),
    });
  });

  it('a credit is info whose relatedNumber is the paymentid_related Qvickly gave', async () => {
    const answer = await api().getPaymentInfo(account, '810653');
    expect(answer).toEqual({
      kind: 'info',
      status: 'Credited',
      orderid: 'BM-B810652',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: '810652',
      data: fakePaymentInfoData(credited),
    });
  });

  it('an unknown payment number is the signed error 5201 with its message and log id', async () => {
    const answer = await api().getPaymentInfo(account, '999999');
    expect(answer).toEqual({ kind: 'error', code: '5201', message: 'Invoice does not exist', logid: expect.stringMatching(/^\d+$/) });
  });

  it('a signed error answer is error with Qvickly\'s code, message and log id', async () => {
    fake.setMode('810652', 'error');
    const answer = await api().getPaymentInfo(account, '810652');
    expect(answer).toEqual({ kind: 'error', code: '9008', message: 'Internal server error. Please try again!', logid: expect.stringMatching(/^\d+$/) });
  });

  it('with the wrong secret the request fails Qvickly\'s check and its error answer (signed with the real secret) is bad-signature', async () => {
    const wrong = await api().getPaymentInfo({ ...account, secret: 'not-the-secret' }, '810652');
    // The fake signs its answer with the merchant's real secret, so the caller's wrong secret
    // cannot verify it: a misconfigured secret shows as bad-signature, never as a believed answer.
    expect(wrong).toEqual({ kind: 'unavailable', reason: 'bad-signature', detail: "credentials.hash does not match the answer's data" });
    expect(fake.requests.map((request) => request.signatureValid)).toEqual([false]);
  });
});

describe('getPaymentInfo is unavailable, with the reason, when no answer can be believed', () => {
  it.each([
    ['http-500', 'http-status', 'HTTP 500'],
    ['garbage', 'unparsable', 'the answer is not JSON (50 characters)'],
    ['unsigned', 'unsigned', 'the answer has no credentials.hash'],
    ['bad-signature', 'bad-signature', "credentials.hash does not match the answer's data"],
  ] as const)('mode %s gives unavailable/%s with detail "%s"', async (mode, reason, detail) => {
    fake.setMode('810652', mode);
    const answer = await api().getPaymentInfo(account, '810652');
    expect(answer).toEqual({ kind: 'unavailable', reason, detail });
  });

  it('a connection closed without an answer is unavailable/transport', async () => {
    fake.setMode('*', 'close');
    const answer = await api().getPaymentInfo(account, '810652');
    expect(answer).toEqual({ kind: 'unavailable', reason: 'transport', detail: expect.stringMatching(/^fetch failed/) });
  });

  it('a refused connection is unavailable/transport naming ECONNREFUSED', async () => {
    const closedPort = await freePort();
    const refused = createQvicklyPaymentApi({ baseUrl: `http://127.0.0.1:${closedPort}/`, timeoutMs: 5000 });
    const answer = await refused.getPaymentInfo(account, '810652');
    expect(answer).toEqual({ kind: 'unavailable', reason: 'transport', detail: 'fetch failed (ECONNREFUSED)' });
  });

  it(`a Qvickly that never answers is unavailable/timeout after timeoutMs (${TIMEOUT_MS} ms), not later than 1 s after it`, async () => {
    fake.setMode('810652', 'hang');
    const started = performance.now();
    const answer = await api(TIMEOUT_MS).getPaymentInfo(account, '810652');
    const elapsed = performance.now() - started;
    expect(answer).toEqual({ kind: 'unavailable', reason: 'timeout', detail: `no complete answer within ${TIMEOUT_MS} ms` });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('a caller\'s signal that aborts ends a hanging exchange at once: unavailable/aborted, well before timeoutMs', async () => {
    fake.setMode('810652', 'hang');
    const caller = new AbortController();
    const started = performance.now();
    const asking = api(10_000).getPaymentInfo(account, '810652', { signal: caller.signal });
    setTimeout(() => caller.abort(), 100);
    const answer = await asking;
    expect(answer).toEqual({ kind: 'unavailable', reason: 'aborted', detail: 'the caller stopped waiting' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it(`an answer whose body stops coming is unavailable/timeout after timeoutMs (${TIMEOUT_MS} ms): the timeout covers the body too`, async () => {
    fake.setMode('810652', 'stall');
    const started = performance.now();
    const answer = await api(TIMEOUT_MS).getPaymentInfo(account, '810652');
    const elapsed = performance.now() - started;
    expect(answer).toEqual({ kind: 'unavailable', reason: 'timeout', detail: `no complete answer within ${TIMEOUT_MS} ms` });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('a redirect is not followed: unavailable/http-status HTTP 302, one request sent', async () => {
    fake.setMode('810652', 'redirect');
    const answer = await api().getPaymentInfo(account, '810652');
    expect(answer).toEqual({ kind: 'unavailable', reason: 'http-status', detail: 'HTTP 302' });
    expect(fake.requests.map((request) => request.path)).toEqual(['/']);
  });

  it('a sequence of two HTTP 500s then an answer gives unavailable, unavailable, then info', async () => {
    fake.setMode('810652', ['http-500', 'http-500', 'answer']);
    const client = api();
    const kinds: string[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const answer = await client.getPaymentInfo(account, '810652');
      kinds.push(answer.kind === 'unavailable' ? `unavailable/${answer.reason}` : answer.kind);
    }
    expect(kinds).toEqual(['unavailable/http-status', 'unavailable/http-status', 'info', 'info']);
    expect(fake.requests.map((request) => request.mode)).toEqual(['http-500', 'http-500', 'answer', 'answer']);
  });

  it('a mode set for one number leaves other numbers answered, and * applies to numbers without their own', async () => {
    fake.setMode('*', 'http-500');
    fake.setMode('810653', 'answer');
    const client = api();
    const [first, second] = [await client.getPaymentInfo(account, '810652'), await client.getPaymentInfo(account, '810653')];
    expect([first.kind, second.kind]).toEqual(['unavailable', 'info']);
  });
});

describe('what getPaymentInfo gives back never contains the secret', () => {
  it.each(['answer', 'error', 'http-500', 'garbage', 'unsigned', 'bad-signature', 'close'] as const)('mode %s', async (mode) => {
    fake.setMode('*', mode);
    const answer: PaymentInfoAnswer = await api().getPaymentInfo(account, '810652');
    expect(JSON.stringify(answer)).not.toContain(account.secret);
    expect(fake.requests[0]?.text).not.toContain(account.secret);
  });
});

describe('createQvicklyPaymentApi refuses a configuration it cannot work with', () => {
  it('throws for a base URL that is not a URL and for a timeout that is not positive', () => {
    expect(() => createQvicklyPaymentApi({ baseUrl: 'api.qvickly.io', timeoutMs: 1000 })).toThrow('Invalid URL');
    expect(() => createQvicklyPaymentApi({ baseUrl: 'https://api.qvickly.io/', timeoutMs: 0 })).toThrow('timeoutMs must be a positive number, not 0');
  });

  it('rejects an empty payment number before sending anything', async () => {
    await expect(api().getPaymentInfo(account, '')).rejects.toThrow('a payment number is required');
    expect(fake.requests).toEqual([]);
  });
});
