import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { CallbackOutcome } from '../../src/ipn/outcome';
import type { PaymentStore, StoreEngine } from '../../src/store/types';
import { expectContractAnswer, type Answer } from '../support/contract-check';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

interface Segment {
  text: string;
  times?: number;
}

/** One hostile request and what the contract says becomes of it (see the corpus file's `fields`). */
interface HostileCase {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
  bodyRepeat?: Segment | Segment[];
  chunked?: boolean;
  raw?: string;
  halfClose?: boolean;
  expectStatus: number;
  stored: boolean;
  expectOutcome?: CallbackOutcome;
  expectFields?: string[];
  expectHeaders?: Record<string, string>;
  answeredByHttpParser?: boolean;
  knownIssue?: string;
  knownIssueEngines?: StoreEngine[];
}

interface HostileCorpus {
  company: { companyId: string; secret: string };
  applied: { path: string; headers: Record<string, string>; body: string; number: string; status: string };
  cases: HostileCase[];
}

const corpus = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'hostile-corpus.json'), 'utf8'),
) as HostileCorpus;

function bodyOf(hostile: HostileCase): Buffer | undefined {
  if (hostile.bodyBase64 !== undefined) return Buffer.from(hostile.bodyBase64, 'base64');
  if (hostile.bodyRepeat !== undefined) {
    const segments = Array.isArray(hostile.bodyRepeat) ? hostile.bodyRepeat : [hostile.bodyRepeat];
    return Buffer.from(segments.map((segment) => segment.text.repeat(segment.times ?? 1)).join(''), 'utf8');
  }
  return hostile.body === undefined ? undefined : Buffer.from(hostile.body, 'utf8');
}

function headersOf(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * node:http rather than fetch: fetch normalises dot segments, adds a Content-Type to string
 * bodies, refuses TRACE and bodies on GET, and cannot send chunked bodies or a Host header.
 */
function sendHttp(url: URL, hostile: HostileCase): Promise<Answer> {
  const body = bodyOf(hostile);
  // Node frames a GET or DELETE body only when told its length.
  const framing = hostile.chunked ? { 'Transfer-Encoding': 'chunked' } : body ? { 'Content-Length': String(body.length) } : {};
  const headers = { ...hostile.headers, ...framing };
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method: hostile.method, path: hostile.path, headers, agent: false });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: headersOf(response.headers), text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    if (body === undefined) return void request.end();
    if (!hostile.chunked) return void request.end(body);
    for (let offset = 0; offset < body.length; offset += 16_384) request.write(body.subarray(offset, offset + 16_384));
    request.end();
  });
}

/** Writes the case's bytes as they are and reads the first answer (status line, headers, Content-Length body). */
function sendRaw(url: URL, hostile: HostileCase): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      const text = received.toString('latin1');
      const headerEnd = text.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const [statusLine = '', ...lines] = text.slice(0, headerEnd).split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0 && !/^HTTP\//.test(line)) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      if (status === 100) {
        received = received.subarray(headerEnd + 4);
        return finish();
      }
      const length = Number(headers.get('content-length') ?? 0);
      const body = received.subarray(headerEnd + 4);
      if (body.length < length) return;
      settled = true;
      socket.destroy();
      resolve({ status, headers, text: body.subarray(0, length).toString('utf8') });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on('close', () => {
      finish();
      if (!settled) reject(new Error(`the connection closed without a complete answer: ${JSON.stringify(received.toString('latin1'))}`));
    });
    socket.on('error', () => undefined);
    socket.write(Buffer.from(hostile.raw ?? '', 'latin1'));
    if (hostile.halfClose) socket.end();
  });
}

/** Row counts and rows read beside the service, straight from the database. */
interface Tables {
  count(table: 'callbacks' | 'payments' | 'payment_history'): Promise<number>;
  rows(table: 'payments' | 'payment_history'): Promise<unknown[]>;
  close(): Promise<void>;
}

async function openTables(database: TestDatabase): Promise<Tables> {
  if (database.url.startsWith('sqlite:')) {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
    return {
      count: async (table) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
      rows: async (table) => db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all(),
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    count: async (table) => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n ?? -1,
    rows: async (table) => (await client.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows,
    close: () => client.end(),
  };
}

/** The field names of a JSON ErrorResponse, or undefined for any other answer. */
function errorFields(answer: Answer): string[] | undefined {
  if (!(answer.headers.get('content-type') ?? '').startsWith('application/json')) return undefined;
  const parsed = JSON.parse(answer.text) as { ResponseStatus?: { Errors?: Array<{ FieldName: string }> } };
  return parsed.ResponseStatus?.Errors?.map((error) => error.FieldName);
}

/** HOSTILE_KNOWN_ISSUES=run runs the known issues as ordinary tests, to see what the service answers. */
function isKnownIssue(hostile: HostileCase): boolean {
  if (process.env.HOSTILE_KNOWN_ISSUES === 'run') return false;
  return hostile.knownIssue !== undefined && (hostile.knownIssueEngines ?? [engine]).includes(engine);
}

describeStore('hostile requests to the callback route: the documented answer, never a 5xx, nothing changed', () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let service: TestService;
  let tables: Tables;
  let url: URL;
  let paymentBefore: string;
  let rowsBefore: string;
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const { companyId, secret } = corpus.company;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await database.open();
    service = await startTestService(store);
    url = new URL(service.url);
    tables = await openTables(database);
    // A company from before signed callback URLs: the corpus probes binding, not URL signatures.
    await store.changeCompany({ companyId, secret, callbackUrls: 'any', now: new Date().toISOString() });
    const { applied } = corpus;
    const answer = await service.send(applied.path, { method: 'POST', headers: applied.headers, body: applied.body });
    expect([answer.status, answer.text]).toEqual([200, `{"Message":"Payment ${applied.number} is now ${applied.status}","Success":true}`]);
    paymentBefore = JSON.stringify(await store.findPayment(companyId, applied.number));
    rowsBefore = JSON.stringify([await tables.rows('payments'), await tables.rows('payment_history')]);
  });

  afterAll(async () => {
    await tables?.close();
    await service?.stop();
    await store?.close();
    await database?.drop();
  });

  it('has a corpus of at least 220 distinct cases', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(220);
    expect(new Set(corpus.cases.map((hostile) => hostile.name)).size).toBe(corpus.cases.length);
  });

  for (const hostile of corpus.cases) {
    const title = `${hostile.name}: ${hostile.expectStatus}${hostile.stored ? ', stored' : ''}`;
    const run = isKnownIssue(hostile) ? it.failing : it;
    run(isKnownIssue(hostile) ? `${title} [known issue: ${hostile.knownIssue}]` : title, async () => {
      const inboxBefore = await tables.count('callbacks');
      const answer = hostile.raw !== undefined ? await sendRaw(url, hostile) : await sendHttp(url, hostile);

      expect(answer.status).toBeLessThan(500);
      // The answer's start is part of the message, so a wrong status shows what was said instead.
      expect(`${answer.status} ${answer.text.slice(0, 300)}`).toMatch(new RegExp(`^${hostile.expectStatus}\\b`));
      if (!hostile.answeredByHttpParser && hostile.method !== 'HEAD') {
        expectContractAnswer(service.contract, hostile.path, hostile.method, answer);
      }
      for (const [name, value] of Object.entries(hostile.expectHeaders ?? {})) expect(answer.headers.get(name)).toBe(value);
      const fields = hostile.answeredByHttpParser || hostile.method === 'HEAD' ? undefined : errorFields(answer);
      // Every field error names a field as it was sent, never nothing.
      expect(fields?.filter((field) => field === '')).toEqual(fields === undefined ? undefined : []);
      if (hostile.expectFields) expect(fields).toEqual(expect.arrayContaining(hostile.expectFields));
      // Nothing a caller sends comes back as a header of its own.
      expect([answer.headers.get('set-cookie'), answer.headers.get('injected')]).toEqual([null, null]);

      expect((await service.send('/health')).status).toBe(200);
      // A request the HTTP parser answers may be answered before an earlier request on the same
      // connection has finished storing (the parser's 400 closes the socket while the pipelined
      // first request is still being committed): wait for that row, bounded, then count exactly.
      const expected = inboxBefore + (hostile.stored ? 1 : 0);
      for (let waited = 0; hostile.answeredByHttpParser && waited < 5_000 && (await tables.count('callbacks')) < expected; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await tables.count('callbacks')).toBe(expected);
      if (hostile.stored && hostile.expectOutcome) {
        const [newest] = await store.listCallbacks({ limit: 1 });
        expect(newest?.outcome).toBe(hostile.expectOutcome);
      }
    });
  }

  it('leaves the applied payment (state and history) byte for byte as it was, creates no other, pollutes no prototype', async () => {
    expect(JSON.stringify(await store.findPayment(companyId, corpus.applied.number))).toBe(paymentBefore);
    expect(JSON.stringify([await tables.rows('payments'), await tables.rows('payment_history')])).toBe(rowsBefore);
    expect([await tables.count('payments'), await tables.count('payment_history')]).toEqual([1, 1]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect((({}) as Record<string, unknown>).polluted).toBeUndefined();
  });
});
