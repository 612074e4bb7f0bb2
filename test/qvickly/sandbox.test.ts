import { phpJsonEncode } from '../../src/ipn/php-json';
import { signText, verifySignature } from '../../src/ipn/signature';
import { createQvicklyPaymentApi, type PaymentInfo, type PaymentInfoAnswer, type QvicklyAccount } from '../../src/qvickly/payment-api';
import { freePort, startPrism, type PrismProcess } from '../support/prism';
import {
  SANDBOX_MERCHANT_ID,
  SANDBOX_SECRET,
  answerExamples,
  qvicklySchemaValidator,
  requestExamples,
} from '../support/qvickly-contract';

// The sandbox (`npm run mock:qvickly`: Prism serving openapi/qvickly-payment-api.yaml) and the
// examples it serves: each really signed with the documented sandbox secret.

type Envelope = { credentials: { hash: string }; data: Record<string, unknown> };

const sandboxAccount: QvicklyAccount = { merchantId: SANDBOX_MERCHANT_ID, secret: SANDBOX_SECRET, test: true };
const answers = answerExamples as Record<string, Envelope>;

describe('the examples of openapi/qvickly-payment-api.yaml', () => {
  it('are the four documented answers, paid first (what Prism serves without Prefer)', () => {
    expect(Object.keys(answers)).toEqual(['paid', 'created', 'credited', 'unknownNumber']);
  });

  it.each(Object.keys(answers))('answer %s is signed with the sandbox secret over data exactly as served (minified JSON = PHP json_encode)', (name) => {
    const { credentials, data } = answers[name]!;
    expect(JSON.stringify(data)).toBe(phpJsonEncode(data));
    expect(credentials.hash).toBe(signText(SANDBOX_SECRET, JSON.stringify(data)));
    expect(verifySignature([SANDBOX_SECRET], credentials.hash, JSON.stringify(data))).toEqual({ valid: true, signedText: JSON.stringify(data), keyIndex: 0 });
  });

  it.each(Object.keys(answers))('answer %s is valid against GetPaymentinfoAnswer', (name) => {
    const validate = qvicklySchemaValidator('GetPaymentinfoAnswer');
    expect(validate(answers[name])).toBe(true);
  });

  it('the request example is signed with the sandbox secret and valid against GetPaymentinfoRequest', () => {
    const example = requestExamples.testAccount as Envelope & { credentials: { id: string } };
    expect(example.credentials.id).toBe(SANDBOX_MERCHANT_ID);
    expect(example.credentials.hash).toBe(signText(SANDBOX_SECRET, phpJsonEncode(example.data)));
    expect(qvicklySchemaValidator('GetPaymentinfoRequest')(example)).toBe(true);
  });
});

describe('npm run mock:qvickly (Prism) with QVICKLY_MOCK_PORT', () => {
  let prism: PrismProcess;

  beforeAll(async () => {
    const port = await freePort();
    prism = await startPrism('npm', ['run', '-s', 'mock:qvickly'], port, { QVICKLY_MOCK_PORT: String(port) });
  }, 40_000);

  afterAll(async () => {
    await prism?.stop();
  }, 15_000);

  /** Our client against Prism, asking for one example; also returns Prism's verdict on our request. */
  async function ask(prefer: string | undefined): Promise<{ answer: PaymentInfoAnswer; status: number; violations: string | null }> {
    let status = 0;
    let violations: string | null = null;
    const viaPrism: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      if (prefer) headers.set('Prefer', prefer);
      const response = await fetch(input, { ...init, headers });
      status = response.status;
      violations = response.headers.get('sl-violations');
      return response;
    };
    const api = createQvicklyPaymentApi({ baseUrl: `${prism.url}/`, timeoutMs: 10_000, fetch: viaPrism });
    const answer = await api.getPaymentInfo(sandboxAccount, '1000235');
    return { answer, status, violations };
  }

  function infoOf(name: string): PaymentInfoAnswer {
    const { data } = answers[name]!;
    const paymentData = data.PaymentData as Record<string, string>;
    const total = (data.Cart as { Total: { withtax: string } }).Total;
    return {
      kind: 'info',
      status: paymentData.status!,
      orderid: paymentData.orderid!,
      currency: paymentData.currency!,
      amount: total.withtax,
      relatedNumber: paymentData.paymentid_related || null,
      data: data as unknown as PaymentInfo,
    };
  }

  it('accepts our signed request without violations and serves the paid example, which the client verifies as info', async () => {
    const { answer, status, violations } = await ask(undefined);
    expect({ status, violations }).toEqual({ status: 200, violations: null });
    expect(answer).toEqual(infoOf('paid'));
    expect(answer).toMatchObject({ kind: 'info', status: 'Paid', orderid: 'BM-B123456', currency: 'SEK', amount: '69500', relatedNumber: null });
  });

  it.each(['created', 'credited'])('Prefer: example=%s is served and verified as info with that example\'s values', async (name) => {
    const { answer, status } = await ask(`example=${name}`);
    expect(status).toBe(200);
    expect(answer).toEqual(infoOf(name));
  });

  it('Prefer: example=credited gives relatedNumber 1000235 and amount 69500', async () => {
    const { answer } = await ask('example=credited');
    expect(answer).toMatchObject({ kind: 'info', status: 'Credited', relatedNumber: '1000235', amount: '69500' });
  });

  it('Prefer: example=unknownNumber is verified as the error 5201', async () => {
    const { answer, status } = await ask('example=unknownNumber');
    expect(status).toBe(200);
    expect(answer).toEqual({ kind: 'error', code: '5201', message: 'Invoice does not exist', logid: '123456789' });
  });

  it('a client with another secret finds the sandbox answer bad-signature', async () => {
    const api = createQvicklyPaymentApi({ baseUrl: `${prism.url}/`, timeoutMs: 10_000 });
    const answer = await api.getPaymentInfo({ ...sandboxAccount, secret: 'not-the-sandbox-secret' }, '1000235');
    expect(answer).toEqual({ kind: 'unavailable', reason: 'bad-signature', detail: "credentials.hash does not match the answer's data" });
  });

  it('refuses a request that breaks the contract (test as a boolean) with 422 naming credentials.test', async () => {
    const body = JSON.stringify({ ...(requestExamples.testAccount as Envelope), credentials: { ...(requestExamples.testAccount as Envelope).credentials, test: true } });
    const response = await fetch(`${prism.url}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    // The contract documents no 422, so Prism lists the violations in its problem+json body.
    const problem = (await response.json()) as { validation: Array<{ location: string[]; message: string }> };
    expect(response.status).toBe(422);
    expect(problem.validation.map((violation) => [violation.location.join('.'), violation.message])).toEqual([
      ['body.credentials.test', 'Request body property credentials.test must be string'],
    ]);
  });
});
