import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { callbackQuery, signCallback } from '../../src/client/sign';
import { contractPath, docsPath, projectRoot } from '../../src/paths';
import { builtCli, runCli, startServiceProcess, type ServiceProcess } from '../support/processes';

// Real traffic through `prism proxy --errors`, which checks every request and every answer
// against openapi/openapi.yaml: a request that breaks it is refused (not forwarded), an answer
// that breaks it becomes a 500 and an `sl-violations` header. Between Prism and the service
// sits a relay that passes requests and answers through unchanged and notes which requests
// Prism forwarded (and, for one control request, answers something the contract forbids, to
// show that the check can fail).

const CALLBACK = '/payment/billmate/v1/ipncallback';
const SECRET = `conformance-${randomUUID()}`;
const COMPANY = randomUUID();
const UNCONFIGURED_COMPANY = randomUUID();
const ID_HEADER = 'x-conformance-id';
const BREAK_HEADER = 'x-conformance-break';

type Format = 'json' | 'xml' | 'csv' | 'jsv';
const MEDIA_TYPE: Record<Format, string> = { json: 'application/json', xml: 'application/xml', csv: 'text/csv', jsv: 'application/jsv' };

/** Every way to choose the answer format: route suffix, ?format=, Accept, or nothing (JSON). */
interface Way {
  name: string;
  suffix: string;
  query: string;
  accept?: string;
  format: Format;
}
const FORMATS: Format[] = ['json', 'xml', 'csv', 'jsv'];
const WAYS: Way[] = [
  { name: 'default', suffix: '', query: '', format: 'json' },
  ...FORMATS.map((format) => ({ name: `suffix .${format}`, suffix: `.${format}`, query: '', format })),
  ...FORMATS.map((format) => ({ name: `?format=${format}`, suffix: '', query: `&format=${format}`, format })),
  ...FORMATS.map((format) => ({ name: `Accept: ${MEDIA_TYPE[format]}`, suffix: '', query: '', accept: MEDIA_TYPE[format], format })),
];

interface Step {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the answer must be: its status, the media type, and the text (exact JSON, or contained in other formats). */
  expected: { status: number; format?: Format; json?: unknown; contains?: string };
  /** Whether Prism itself refuses it (so the service never sees it). */
  refusedByPrism?: boolean;
}

/** The query of the callback URL BokaMera gives Qvickly: signed for the configured company. */
function query(company: string, bookingId: string, extra = ''): string {
  const routing = callbackQuery({ secret: company === COMPANY ? SECRET : undefined, companyId: company, bookingId, articleTypeId: 1 });
  return `${new URLSearchParams(Object.entries(routing).map(([name, value]): [string, string] => [name, String(value)])).toString()}${extra}`;
}

interface CallbackStep {
  name: string;
  way: Way;
  data: Record<string, unknown>;
  bookingId?: string;
  company?: string;
  credentials?: 'signed' | 'other secret' | 'none';
  encoding?: 'json' | 'form';
  expected: Step['expected'];
}

/** A callback as Qvickly sends it: data signed as PHP encodes it, routing in the query string. */
function callback(step: CallbackStep): Step {
  const signed = signCallback(step.credentials === 'other secret' ? `${SECRET}-other` : SECRET, step.data);
  let body = step.encoding === 'form' ? signed.formBody : signed.jsonBody;
  if (step.credentials === 'none') body = `{"data":${signed.signedData}}`;
  const headers: Record<string, string> = {
    'Content-Type': step.encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
  };
  if (step.way.accept) headers.Accept = step.way.accept;
  return {
    name: `${step.way.name}: ${step.name}`,
    method: 'POST',
    path: `${CALLBACK}${step.way.suffix}?${query(step.company ?? COMPANY, step.bookingId ?? 'B-1', step.way.query)}`,
    headers,
    body,
    expected: { format: step.way.format, ...step.expected },
  };
}

const ok = (message: string, success = true) => ({ status: 200, json: { Message: message, Success: success }, contains: message });
const problem = (status: number, errorCode: string, message: string, errors: unknown[] = []) => ({
  status,
  json: { ResponseStatus: { ErrorCode: errorCode, Message: message, Errors: errors } },
  contains: message,
});
const UNAUTHENTICATED = problem(401, 'Unauthorized', 'The callback could not be authenticated');
const notEmpty = (field: string) =>
  problem(400, 'NotEmpty', `'${field}' must not be empty`, [
    { ErrorCode: 'NotEmpty', FieldName: field, Message: `'${field}' must not be empty` },
  ]);

/** Every callback outcome, 401 and 400 included, answered in one format. */
function callbacksAnsweredIn(way: Way, index: number): Step[] {
  const [a, b, c] = ['a', 'b', 'c'].map((letter) => `conf-${index}-${letter}`) as [string, string, string];
  const data = (number: string, status: string) => ({ number, status, orderid: `order-${number}`, url: '' });
  return [
    callback({ name: 'applied', way, data: data(a, 'Paid'), expected: ok(`Payment ${a} is now Paid`) }),
    callback({ name: 'duplicate', way, data: data(a, 'Paid'), expected: ok(`Callback already received for payment ${a}; nothing changed`) }),
    callback({
      name: 'stale',
      way,
      data: data(a, 'Created'),
      expected: ok(`Payment ${a} is already Paid; Created was recorded but not applied`),
    }),
    callback({ name: 'cancelled', way, data: data(b, 'Cancelled'), expected: ok(`Payment ${b} is now Cancelled`) }),
    callback({
      name: 'conflict',
      way,
      data: data(b, 'Paid'),
      expected: ok(`Payment ${b} is already Cancelled; Paid was recorded for review but not applied`),
    }),
    callback({
      name: 'unrecognised',
      way,
      data: data(a, 'Sent'),
      expected: ok(`Unrecognised payment status 'Sent'; recorded, payment ${a} not changed`, false),
    }),
    callback({
      name: 'bound to another booking',
      way,
      data: data(a, 'Paid'),
      bookingId: 'B-2',
      expected: problem(409, 'Conflict', `Payment ${a} is already bound to another booking`),
    }),
    callback({ name: 'form body', way, data: data(c, 'Pending'), encoding: 'form', expected: ok(`Payment ${c} is now Pending`) }),
    callback({
      name: 'the form callback again as JSON',
      way,
      data: data(c, 'Pending'),
      expected: ok(`Callback already received for payment ${c}; nothing changed`),
    }),
    callback({ name: 'signed with another secret', way, data: data(a, 'Credited'), credentials: 'other secret', expected: UNAUTHENTICATED }),
    callback({ name: 'company without a secret', way, data: data(a, 'Credited'), company: UNCONFIGURED_COMPANY, expected: UNAUTHENTICATED }),
    callback({ name: 'no credentials', way, data: data(a, 'Credited'), credentials: 'none', expected: UNAUTHENTICATED }),
    {
      name: `${way.name}: no CompanyId (400)`,
      method: 'POST',
      path: `${CALLBACK}${way.suffix}?BookingId=B-1&ArticleTypeId=1${way.query}`,
      headers: { 'Content-Type': 'application/json', ...(way.accept ? { Accept: way.accept } : {}) },
      body: signCallback(SECRET, data(a, 'Credited')).jsonBody,
      expected: { format: way.format, ...notEmpty('CompanyId') },
    },
  ];
}

const json = { 'Content-Type': 'application/json' };
const ROUTED = `${CALLBACK}?${query(COMPANY, 'B-1')}`;
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const defaultWay = WAYS[0] as Way;

/** Callbacks and errors that need no format matrix: PHP-escaped data, integer numbers, 400s and 413 from the service. */
const OTHER_CALLBACKS: Step[] = [
  callback({
    name: "PHP-escaped data ('/', åäö, carddata), which Prism re-serialises before forwarding",
    way: defaultWay,
    data: {
      number: 'conf-php',
      status: 'Paid',
      orderid: 'Bokning 12/3 Åsa Öberg',
      url: 'https://pay.example/invoice/äö',
      carddata: { maskedcardno: '476173******0416', cardholdername: 'ÅSA ÖBERG', bin: '21591', expirymonth: '12', expiryyear: '2029' },
    },
    expected: ok('Payment conf-php is now Paid'),
  }),
  callback({
    name: 'number as a JSON integer',
    way: defaultWay,
    data: { number: 4711, status: 'Approved', orderid: 'o', url: '' },
    expected: ok('Payment 4711 is now Approved'),
  }),
  { name: 'empty envelope (400)', method: 'POST', path: ROUTED, headers: json, body: '{}', expected: notEmpty('Data') },
  {
    name: 'Data without status (400)',
    method: 'POST',
    path: ROUTED,
    headers: json,
    body: '{"Data":{"number":"1"}}',
    expected: notEmpty('Data.status'),
  },
  {
    name: 'no ArticleTypeId (400)',
    method: 'POST',
    path: `${CALLBACK}?CompanyId=${COMPANY}&BookingId=B-1`,
    headers: json,
    body: signCallback(SECRET, { number: 'conf-x', status: 'Paid' }).jsonBody,
    expected: notEmpty('ArticleTypeId'),
  },
  {
    name: 'form whose data is not JSON (400)',
    method: 'POST',
    path: ROUTED,
    headers: form,
    body: 'data=notjson&credentials=%7B%7D',
    expected: problem(400, 'SerializationException', "Unable to bind to request 'QvicklyCheckoutIpnCallBack'", [
      { ErrorCode: 'SerializationException', FieldName: 'data', Message: "'notjson' is an Invalid value for 'data'" },
    ]),
  },
  {
    name: 'body over 64 KiB (413)',
    method: 'POST',
    path: ROUTED,
    headers: json,
    body: JSON.stringify({ pad: 'x'.repeat(70_000), data: { number: 'conf-big', status: 'Paid' } }),
    expected: problem(413, 'PayloadTooLarge', 'The request body is larger than 65536 bytes'),
  },
];

const get = (path: string, expected: Step['expected']): Step => ({ name: `GET ${path}`, method: 'GET', path, headers: {}, expected });
const OPERATIONS: Step[] = [
  get('/health', { status: 200, json: { status: 'ok', store: 'reachable', engine: 'sqlite' } }),
  get('/metrics', { status: 200, contains: 'qvickly_ipn_callbacks_total{outcome="applied"}' }),
  get('/openapi.yaml', { status: 200, contains: 'operationId: QvicklyCheckoutIpnCallBack' }),
  get('/docs', { status: 200, contains: '</html>' }),
  get('/docs/events', { status: 200, contains: 'payment.confirmation_changed' }),
];

/** A request Prism refuses itself, with the status it answers: it never reaches the service. */
function refused(name: string, status: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Step {
  return { name, method, path, headers, body, expected: { status }, refusedByPrism: true };
}
const REFUSED_BY_PRISM: Step[] = [
  refused('text/plain body', 422, 'POST', ROUTED, { 'Content-Type': 'text/plain' }, 'hello'),
  refused('no Content-Type', 422, 'POST', ROUTED, {}, '{"data":{"number":"1","status":"Paid"}}'),
  refused('malformed JSON', 400, 'POST', ROUTED, json, '{"data":'),
  refused('ArticleTypeId=abc', 422, 'POST', `${CALLBACK}?CompanyId=${COMPANY}&BookingId=B-1&ArticleTypeId=abc`, json, '{}'),
  refused('CompanyId not a UUID', 422, 'POST', `${CALLBACK}?CompanyId=not-a-uuid&BookingId=B-1&ArticleTypeId=1`, json, '{}'),
  refused('data without status', 422, 'POST', ROUTED, json, '{"data":{"number":"1"}}'),
  refused('.html suffix', 422, 'POST', `${CALLBACK}.html?${query(COMPANY, 'B-1')}`, json, '{}'),
  refused('GET on the callback route', 405, 'GET', CALLBACK),
  refused('path in other case', 404, 'POST', `/Payment/Billmate/v1/IpnCallback?${query(COMPANY, 'B-1')}`, json, '{}'),
  refused('trailing slash', 404, 'POST', `${CALLBACK}/?${query(COMPANY, 'B-1')}`, json, '{}'),
  refused('unknown path', 404, 'GET', '/nope'),
];

const TRAFFIC: Step[] = [...WAYS.flatMap(callbacksAnsweredIn), ...OTHER_CALLBACKS, ...OPERATIONS, ...REFUSED_BY_PRISM];

// ---------------------------------------------------------------------------------------------

interface Forwarded {
  method: string;
  url: string;
  body: Buffer;
}

/** Passes every request through unchanged and notes it; answers the control request itself. */
class Relay {
  readonly forwarded = new Map<string, Forwarded>();
  private readonly server: http.Server;
  url = '';

  constructor(private readonly target: URL) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const id = req.headers[ID_HEADER];
        if (typeof id === 'string') this.forwarded.set(id, { method: req.method ?? '', url: req.url ?? '', body });
        if (req.headers[BREAK_HEADER]) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"Success":"yes"}');
          return;
        }
        const upstream = http.request(
          { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
        upstream.end(body);
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

interface Prism {
  url: string;
  stop(): Promise<void>;
}

/** `prism proxy` in its own process group, ready once it forwards GET /health. */
async function startPrismProxy(upstream: string): Promise<Prism> {
  const port = await freePort();
  const child = spawn(
    path.join(projectRoot, 'node_modules', '.bin', 'prism'),
    ['proxy', 'openapi/openapi.yaml', upstream, '--errors', '--host', '127.0.0.1', '--port', String(port)],
    { cwd: projectRoot, env: { ...process.env, NO_COLOR: '1' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const pgid = child.pid as number;
  const stop = async (): Promise<void> => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (!running) return;
      try {
        process.kill(-pgid, signal);
      } catch {
        return; // the group is gone
      }
      const timeout = new AbortController();
      await Promise.race([exited, delay(5000, undefined, { signal: timeout.signal }).catch(() => undefined)]);
      timeout.abort();
    }
  };
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 40_000; ; await delay(200)) {
    if (!running || Date.now() > deadline) {
      await stop();
      throw new Error(`prism proxy did not start:\n${output.join('')}`);
    }
    const health = await fetch(`${url}/health`).catch(() => undefined);
    if (health?.status === 200) break;
  }
  return { url, stop };
}

interface Answer {
  step: Step;
  id: string;
  status: number;
  contentType: string;
  violationsHeader: string | null;
  text: string;
}

function isViolation(answer: Answer): boolean {
  const prismViolation = answer.status === 500 && answer.text.includes('prism/errors#VIOLATIONS');
  return answer.violationsHeader !== null || prismViolation;
}

describe('real traffic through prism proxy --errors conforms to the contract', () => {
  let dir: string;
  let service: ServiceProcess;
  let relay: Relay;
  let prism: Prism;
  const answers: Answer[] = [];
  let nextId = 0;

  async function send(step: Step, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    const id = String(++nextId);
    const response = await fetch(`${prism.url}${step.path}`, {
      method: step.method,
      headers: { ...step.headers, ...extraHeaders, [ID_HEADER]: id },
      // Bytes, so fetch adds no Content-Type of its own (a string body would get text/plain).
      body: step.body === undefined ? undefined : Buffer.from(step.body, 'utf8'),
    });
    return {
      step,
      id,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      violationsHeader: response.headers.get('sl-violations'),
      text: await response.text(),
    };
  }

  beforeAll(async () => {
    for (const built of [builtCli, docsPath]) if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
    dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-conformance-'));
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'store.sqlite')}` };
    const configured = await runCli(['company', 'set', COMPANY], env, SECRET);
    if (configured.code !== 0) throw new Error(`company set failed: ${configured.stderr}`);
    service = await startServiceProcess(env);
    relay = await new Relay(new URL(service.url)).start();
    prism = await startPrismProxy(relay.url);
    // In order: outcomes depend on what the service received before.
    for (const step of TRAFFIC) answers.push(await send(step));
  }, 120_000);

  afterAll(async () => {
    await prism?.stop();
    await relay?.stop();
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('finds no violation in any answer: no sl-violations header, no 500 from Prism', () => {
    const violations = answers.filter(isViolation).map((answer) => ({
      request: answer.step.name,
      status: answer.status,
      violations: answer.violationsHeader,
      body: answer.text.slice(0, 500),
    }));
    const forwarded = answers.filter((answer) => relay.forwarded.has(answer.id)).length;
    console.log(
      `conformance through prism proxy: ${answers.length} requests sent, ${forwarded} reached the service, ` +
        `${answers.length - forwarded} refused by Prism itself, ${violations.length} violations`,
    );
    expect(violations).toEqual([]);
    expect(answers).toHaveLength(TRAFFIC.length);
  });

  it('reaches the service with every request Prism accepts, and each gets the answer its outcome calls for', () => {
    const forwarded = answers.filter((answer) => !answer.step.refusedByPrism);
    expect(forwarded.filter((answer) => !relay.forwarded.has(answer.id)).map((answer) => answer.step.name)).toEqual([]);
    for (const answer of forwarded) {
      const { status, format, json: body, contains } = answer.step.expected;
      const mediaType = answer.contentType.split(';')[0];
      const seen = { request: answer.step.name, status: answer.status, mediaType: format ? mediaType : undefined };
      expect(seen).toEqual({ request: answer.step.name, status, mediaType: format ? MEDIA_TYPE[format] : undefined });
      if (body !== undefined && (format ?? 'json') === 'json') {
        expect([answer.step.name, JSON.parse(answer.text)]).toEqual([answer.step.name, body]);
      }
      if (contains !== undefined) expect([answer.step.name, answer.text.includes(contains)]).toEqual([answer.step.name, true]);
    }
    // Every format was answered, each outcome in each.
    expect(new Set(forwarded.map((answer) => answer.contentType.split(';')[0]))).toEqual(
      new Set([...Object.values(MEDIA_TYPE), 'text/plain', 'application/yaml', 'text/html']),
    );
  });

  it('refuses exactly the requests that break the contract, without forwarding them', () => {
    const refused = answers.filter((answer) => !relay.forwarded.has(answer.id));
    expect(refused.map((answer) => [answer.step.name, answer.status])).toEqual(
      REFUSED_BY_PRISM.map((step) => [step.name, step.expected.status]),
    );
    // Prism answers these itself, with its own problem types (or, for malformed JSON, its body parser's error).
    for (const answer of refused) {
      expect([answer.step.name, answer.text]).toEqual([answer.step.name, expect.stringMatching(/prism\/errors#|invalid_json/)]);
    }
  });

  it("delivers PHP's escaped data re-serialised by Prism, and the service still authenticates it", () => {
    const answer = answers.find((candidate) => candidate.step.name.includes('PHP-escaped data'));
    const forwarded = answer && relay.forwarded.get(answer.id);
    expect(forwarded).toBeDefined();
    // What Prism forwarded is not what was signed: '\/' and '\u00e5' became '/' and 'å'.
    expect(forwarded?.body.toString('utf8')).not.toBe(answer?.step.body);
    expect(forwarded?.body.toString('utf8')).toContain('"orderid":"Bokning 12/3 Åsa Öberg"');
    expect(answer?.status).toBe(200);
  });

  it('can fail: an answer that breaks the contract comes back as a 500 with sl-violations', async () => {
    const [step] = callbacksAnsweredIn(defaultWay, 999);
    const answer = await send(step as Step, { [BREAK_HEADER]: '1' });
    expect(isViolation(answer)).toBe(true);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.violationsHeader ?? '[]')).toEqual([
      expect.objectContaining({ location: ['response', 'body', 'Success'], code: 'type' }),
    ]);
  });

  // The contract: "The suffix wins over `?format=` and `Accept`" and, for binding, "Unknown
  // members are ignored" (ServiceStack ignores unknown query keys; `format`, `callback` are harmless).
  it('ignores query parameters a route does not declare: a suffix wins over ?format=, an unknown one is ignored', async () => {
    const data = (number: string) => ({ number, status: 'Paid', orderid: 'o', url: '' });
    const xmlSuffix: Way = { name: 'suffix .xml with ?format=csv', suffix: '.xml', query: '&format=csv', format: 'xml' };
    const suffixWins = await send(callback({ name: 'applied', way: xmlSuffix, data: data('conf-q1'), expected: ok('') }));
    const unknownIgnored = await send(
      callback({ name: 'unknown query parameter', way: { ...defaultWay, query: '&source=qvickly' }, data: data('conf-q2'), expected: ok('') }),
    );
    expect([suffixWins.status, suffixWins.contentType.split(';')[0], suffixWins.text]).toEqual([
      200,
      'application/xml',
      expect.stringContaining('<Message>Payment conf-q1 is now Paid</Message>'),
    ]);
    expect([unknownIgnored.status, unknownIgnored.text]).toEqual([200, '{"Message":"Payment conf-q2 is now Paid","Success":true}']);
  });

  it('serves the contract it is checked against', () => {
    const answer = answers.find((candidate) => candidate.step.name === 'GET /openapi.yaml');
    expect(answer?.text).toBe(readFileSync(contractPath, 'utf8'));
  });
});
