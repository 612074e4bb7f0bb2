import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { phpJsonEncode } from '../../src/ipn/php-json';
import { signText } from '../../src/ipn/signature';

/**
 * What the fake does with the next request for a payment:
 * - `answer`: a signed getPaymentinfo answer, or for an unknown number the signed error
 *   PAYMENT_NOT_FOUND;
 * - `error`: the signed error FAKE_ERROR;
 * - `http-500`: HTTP 500 with an HTML body;
 * - `hang`: reads the request and never answers;
 * - `bad-signature`: the `answer` body signed with another secret;
 * - `unsigned`: the `answer` body with `credentials: {}`;
 * - `garbage`: HTTP 200 with an HTML body;
 * - `close`: destroys the connection without answering;
 * - `stall`: sends 200 and the start of a body, then nothing more;
 * - `redirect`: 302 to another path of the same server.
 */
export type FakeMode = 'answer' | 'error' | 'http-500' | 'hang' | 'bad-signature' | 'unsigned' | 'garbage' | 'close' | 'stall' | 'redirect';

export interface FakePayment {
  status: string;
  orderid: string;
  currency: string;
  /** Cart.Total.withtax in minor units. */
  withtax: string;
  paymentidRelated?: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as received. */
  text: string;
  /** The body parsed, or undefined when it is not JSON. */
  body: unknown;
  merchantId: string | undefined;
  number: string | undefined;
  /**
   * credentials.hash matches PHP json_encode of the decoded `data` under the merchant's secret,
   * the check a PHP server makes. False for an unknown merchant.
   */
  signatureValid: boolean;
  /** What the fake did with it. */
  mode: FakeMode;
  /** When it arrived (Date.now(), once the body was read). */
  receivedAt: number;
}

// Codes and messages from DOC API-Error-codes.md (Billmate/QvicklyDocumentation).
export const PAYMENT_NOT_FOUND = { code: '5201', message: 'Invoice does not exist' } as const;
export const FAKE_ERROR = { code: '9008', message: 'Internal server error. Please try again!' } as const;
export const AUTHENTICATION_FAILED = {
  code: '9013',
  message: 'Authentication is failed. Please double check the key and the EID you are sending are correct',
} as const;
export const UNKNOWN_FUNCTION = { code: '9001', message: 'The method that you are calling does not exist.' } as const;

export interface FakeQvickly {
  /** http://127.0.0.1:<port>/ once started. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly ReceivedRequest[];
  start(): Promise<void>;
  /** Closes every connection, hanging ones included. */
  stop(): Promise<void>;
  addMerchant(id: string, secret: string): void;
  setPayment(number: string, payment: FakePayment): void;
  /**
   * The mode for one payment number, or `*` for every number without its own. A list is a
   * sequence: each request takes the next mode, and the last one stays.
   */
  setMode(target: string, mode: FakeMode | readonly FakeMode[]): void;
  /** Forgets payments, modes and recorded requests (merchants stay). */
  reset(): void;
}

/** The `data` of the fake's answer for a payment, in the order Qvickly documents. */
export function fakePaymentInfoData(payment: FakePayment): Record<string, unknown> {
  const withtax = Number(payment.withtax);
  const withouttax = Math.round((withtax * 4) / 5);
  const tax = withtax - withouttax;
  return {
    PaymentData: {
      method: '8',
      paymentplanid: '',
      currency: payment.currency,
      country: 'SE',
      language: 'sv',
      autoactivate: '1',
      orderid: payment.orderid,
      status: payment.status,
      paymentid_related: payment.paymentidRelated ?? '',
      url: '',
    },
    PaymentInfo: { paymentdate: '2024-05-05', paymentterms: '14', yourreference: '', ourreference: '', projectname: '', deliverymethod: '', deliveryterms: '' },
    // URLs and Swedish letters make PHP's encoding (`\/`, `\u00e5`) differ from JSON.stringify.
    Card: {
      promptname: '',
      recurring: '',
      recurringnr: '',
      accepturl: 'https://www.bokamera.se/payment/accept',
      cancelurl: 'https://www.bokamera.se/payment/cancel',
      callbackurl: 'https://api.bokamera.se/payment/billmate/v1/ipncallback',
      returnmethod: 'POST',
    },
    Settlement: { number: '', date: '' },
    Customer: {
      nr: '12',
      pno: '195501011018',
      Billing: { firstname: 'Åsa', lastname: 'Ström', company: '', street: 'Testgatan 1', street2: '', zip: '12345', city: 'Lund', country: 'SE', phone: '0712-345678', email: 'test@developer.qvickly.io' },
    },
    Articles: [
      { artnr: 'BOOKING', title: 'Bokning', quantity: '1', aprice: String(withouttax), tax: String(tax), discount: '0', withouttax: String(withouttax), taxrate: '25' },
    ],
    Cart: {
      Handling: { withouttax: '0', taxrate: '25' },
      Shipping: { withouttax: '0', taxrate: '25' },
      Total: { rounding: '0', withouttax: String(withouttax), tax: String(tax), withtax: payment.withtax },
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readText(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Qvickly's envelope, `data` written as PHP's json_encode writes it. */
function envelope(data: unknown, hash: string | undefined): string {
  return `{"credentials":${hash === undefined ? '{}' : JSON.stringify({ hash })},"data":${phpJsonEncode(data)}}`;
}

export function createFakeQvickly(): FakeQvickly {
  const merchants = new Map<string, string>();
  const payments = new Map<string, FakePayment>();
  const modes = new Map<string, FakeMode[]>();
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let url: string | undefined;
  let logid = 100000000;

  function nextMode(number: string | undefined): FakeMode {
    const sequence = (number !== undefined ? modes.get(number) : undefined) ?? modes.get('*');
    if (!sequence || sequence.length === 0) return 'answer';
    return sequence.length > 1 ? sequence.shift()! : sequence[0]!;
  }

  function signedAnswer(secret: string, data: unknown, mode: FakeMode): string {
    const signedText = phpJsonEncode(data);
    if (mode === 'unsigned') return envelope(data, undefined);
    return envelope(data, signText(mode === 'bad-signature' ? `${secret}-not-the-merchants` : secret, signedText));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readText(request);
    const body = parseJson(text);
    const credentials = isObject(body) && isObject(body.credentials) ? body.credentials : {};
    const data = isObject(body) ? body.data : undefined;
    const merchantId = typeof credentials.id === 'string' ? credentials.id : undefined;
    const number = isObject(data) && typeof data.number === 'string' ? data.number : undefined;
    const secret = merchantId !== undefined ? merchants.get(merchantId) : undefined;
    const signatureValid =
      secret !== undefined && data !== undefined && typeof credentials.hash === 'string' && credentials.hash === signText(secret, phpJsonEncode(data));
    const mode = nextMode(number);
    requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, text, body, merchantId, number, signatureValid, mode, receivedAt: Date.now() });

    switch (mode) {
      case 'hang':
        return;
      case 'close':
        request.socket.destroy();
        return;
      case 'http-500':
        response.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><body><h1>500 Internal Server Error</h1></body></html>');
        return;
      case 'stall':
        response.writeHead(200, { 'Content-Type': 'application/json' }).write('{"credentials":{"hash":"');
        return;
      case 'redirect':
        response.writeHead(302, { Location: '/moved' }).end();
        return;
      case 'garbage':
        response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      default:
        break;
    }
    const answer = (answerData: unknown): void => {
      const json = secret === undefined ? envelope(answerData, undefined) : signedAnswer(secret, answerData, mode);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(json);
    };
    const error = (failure: { code: string; message: string }): void => answer({ ...failure, logid: String(++logid) });
    if (!signatureValid) return error(AUTHENTICATION_FAILED);
    if (isObject(body) && body.function !== 'getPaymentinfo') return error(UNKNOWN_FUNCTION);
    if (mode === 'error') return error(FAKE_ERROR);
    const payment = number !== undefined ? payments.get(number) : undefined;
    if (!payment) return error(PAYMENT_NOT_FOUND);
    answer(fakePaymentInfoData(payment));
  }

  return {
    get url() {
      if (!url) throw new Error('the fake Qvickly is not started');
      return url;
    },
    requests,
    start() {
      return new Promise((resolve, reject) => {
        const started = createServer((request, response) => {
          handle(request, response).catch((error: unknown) => {
            response.writeHead(500).end(String(error));
          });
        });
        started.on('connection', (socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
        });
        started.once('error', reject);
        started.listen(0, '127.0.0.1', () => {
          server = started;
          url = `http://127.0.0.1:${(started.address() as AddressInfo).port}/`;
          resolve();
        });
      });
    },
    stop() {
      const running = server;
      server = undefined;
      url = undefined;
      if (!running) return Promise.resolve();
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve, reject) => running.close((error) => (error ? reject(error) : resolve())));
    },
    addMerchant(id, secret) {
      merchants.set(id, secret);
    },
    setPayment(number, payment) {
      payments.set(number, payment);
    },
    setMode(target, mode) {
      modes.set(target, typeof mode === 'string' ? [mode] : [...mode]);
    },
    reset() {
      payments.clear();
      modes.clear();
      requests.length = 0;
    },
  };
}
