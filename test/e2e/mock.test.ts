import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import yaml from 'js-yaml';
import type { OpenAPIV3 } from 'openapi-types';
import { createIpnClient, sendCallback } from '../../src/client/index';
import { signCallback } from '../../src/client/sign';
import { contractPath, projectRoot } from '../../src/paths';
import { vectors } from '../support/vectors';

// What partners get from `npm run mock`: Prism serving the contract's own examples. Every
// scenario is read from openapi/openapi.yaml, so an example Prism cannot serve fails here.

const CALLBACK_PATH = '/payment/billmate/v1/ipncallback';
const contract = yaml.load(readFileSync(contractPath, 'utf8')) as OpenAPIV3.Document;

type Ref = OpenAPIV3.ReferenceObject;

function resolve<T>(value: T | Ref): T {
  if (!value || typeof value !== 'object' || !('$ref' in value)) return value as T;
  const found = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], contract);
  if (found === undefined) throw new Error(`The contract has no ${value.$ref}`);
  return resolve(found as T | Ref);
}

const callbackOperation = contract.paths[CALLBACK_PATH]?.post;
if (!callbackOperation) throw new Error(`The contract has no POST ${CALLBACK_PATH}`);

/**
 * `default` is not a status: Prism serves it for any undocumented code asked for. The contract's
 * OtherError description says which status each of its examples stands for.
 */
const STATUS_OF_DEFAULT_EXAMPLE: Record<string, number> = { methodNotAllowed: 405, notFound: 404 };

interface Scenario {
  /** The key in the contract's responses: a status or `default`. */
  response: string;
  /** The status to ask Prism for; undefined for a `default` example nobody mapped. */
  status: number | undefined;
  mediaType: string;
  example: string;
  value: unknown;
}

function callbackScenarios(): Scenario[] {
  const scenarios: Scenario[] = [];
  for (const [key, responseOrRef] of Object.entries(callbackOperation?.responses ?? {})) {
    const response = resolve<OpenAPIV3.ResponseObject>(responseOrRef);
    for (const [mediaType, media] of Object.entries(response.content ?? {})) {
      for (const [example, exampleOrRef] of Object.entries(media.examples ?? {})) {
        const status = key === 'default' ? STATUS_OF_DEFAULT_EXAMPLE[example] : Number(key);
        scenarios.push({ response: key, status, mediaType, example, value: resolve<OpenAPIV3.ExampleObject>(exampleOrRef).value });
      }
    }
  }
  return scenarios;
}

const scenarios = callbackScenarios();
const jsonScenarios = scenarios.filter((scenario) => scenario.mediaType === 'application/json');
const TEXT_MEDIA_TYPES = ['text/csv', 'application/xml', 'application/jsv'] as const;
const textScenarios = scenarios.filter((scenario) => (TEXT_MEDIA_TYPES as readonly string[]).includes(scenario.mediaType));

function firstExample(response: string, mediaType: string): Scenario {
  const found = scenarios.find((scenario) => scenario.response === response && scenario.mediaType === mediaType);
  if (!found) throw new Error(`The contract has no ${mediaType} example for ${response}`);
  return found;
}

// A real signed callback (vector v1: payment 810652, Paid) as the body of every request, so
// Prism's request validation passes and only the Prefer header decides the answer.
const vector = vectors[0]!;
const signed = signCallback(vector.secret, vector.data);
const routing = { CompanyId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', BookingId: 'B-810652', ArticleTypeId: 1 };
const validQuery = new URLSearchParams({ ...routing, ArticleTypeId: String(routing.ArticleTypeId) }).toString();

interface MockServer {
  url: string;
  pgid: number;
  output: string[];
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Processes of a group that are still running (zombies count as gone), read from /proc. */
function liveMembers(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(path.join('/proc', entry, 'stat'), 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') live.push(Number(entry));
  }
  return live;
}

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await delay(50)) {
    if (liveMembers(pgid).length === 0) return true;
  }
  return liveMembers(pgid).length === 0;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGTERM to the whole group (npm, its shell and Prism), SIGKILL if it lingers. */
async function stopGroup(pgid: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntilGone(pgid, 5000)) return;
  signalGroup(pgid, 'SIGKILL');
  if (!(await waitUntilGone(pgid, 5000))) throw new Error(`processes ${liveMembers(pgid).join(', ')} of the mock survived SIGKILL`);
}

/**
 * Starts a command in its own process group (so stopping it reaches every process it forks)
 * and resolves once Prism answers on the port; on any failure the group is killed first.
 */
async function startMock(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<MockServer> {
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`${command} did not start`);
  const url = `http://127.0.0.1:${port}`;
  try {
    for (const deadline = Date.now() + 30_000; ; await delay(100)) {
      if (exited) throw new Error(`${command} ${args.join(' ')} ${exited} before answering:\n${output.join('')}`);
      if (Date.now() > deadline) throw new Error(`${command} ${args.join(' ')} did not answer in 30 s:\n${output.join('')}`);
      const health = await fetch(`${url}/health`).catch(() => undefined);
      if (health) {
        await health.arrayBuffer();
        if (health.status === 200) break;
      }
    }
  } catch (error) {
    await stopGroup(pgid);
    throw error;
  }
  return { url, pgid, output, stop: () => stopGroup(pgid) };
}

interface Answer {
  status: number;
  contentType: string | null;
  headers: Headers;
  bytes: Buffer;
  text: string;
}

async function post(mock: MockServer, pathAndQuery: string, headers: Record<string, string>, body = signed.jsonBody): Promise<Answer> {
  const response = await fetch(`${mock.url}${pathAndQuery}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, bytes, text: bytes.toString('utf8') };
}

function violations(answer: Answer): Array<{ location: string[] }> {
  return JSON.parse(answer.headers.get('sl-violations') ?? '[]') as Array<{ location: string[] }>;
}

describe('the Prism mock (prism mock openapi/openapi.yaml)', () => {
  let mock: MockServer;

  beforeAll(async () => {
    const port = await freePort();
    mock = await startMock(
      path.join(projectRoot, 'node_modules', '.bin', 'prism'),
      ['mock', 'openapi/openapi.yaml', '--host', '127.0.0.1', '--port', String(port)],
      port,
    );
  }, 40_000);

  afterAll(async () => {
    await mock?.stop();
  }, 15_000);

  it('finds every documented answer of the callback in the contract', () => {
    // 200: applied, duplicate, stale, conflict, unrecognised, sample; 400: three; 401, 409,
    // 413, 415, 503: one each; default: methodNotAllowed, notFound. Fewer means the
    // contract lost an example or this test stopped reading it.
    expect(jsonScenarios.length).toBeGreaterThanOrEqual(16);
    for (const mediaType of TEXT_MEDIA_TYPES) {
      expect(textScenarios.filter((scenario) => scenario.mediaType === mediaType).length).toBeGreaterThanOrEqual(13);
    }
    const defaultExamples = scenarios.filter((scenario) => scenario.response === 'default').map((scenario) => scenario.example);
    expect([...new Set(defaultExamples)].sort()).toEqual(Object.keys(STATUS_OF_DEFAULT_EXAMPLE).sort());
  });

  it.each(jsonScenarios.map((scenario) => [String(scenario.status ?? scenario.response), scenario.example, scenario] as const))(
    'Prefer: code=%s, example=%s answers that status with exactly that JSON example',
    async (_response, _example, scenario) => {
      expect(scenario.status).toBeDefined();
      const answer = await post(mock, `${CALLBACK_PATH}?${validQuery}`, {
        Accept: 'application/json',
        Prefer: `code=${scenario.status}, example=${scenario.example}`,
      });
      expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({ status: scenario.status, body: scenario.value });
      expect(answer.contentType).toMatch(/^application\/json\b/);
    },
  );

  it.each(textScenarios.map((scenario) => [scenario.mediaType, String(scenario.status ?? scenario.response), scenario.example, scenario] as const))(
    'Accept: %s with Prefer: code=%s, example=%s answers the example string byte for byte',
    async (mediaType, _response, _example, scenario) => {
      expect(scenario.status).toBeDefined();
      expect(typeof scenario.value).toBe('string');
      const answer = await post(mock, `${CALLBACK_PATH}?${validQuery}`, {
        Accept: mediaType,
        Prefer: `code=${scenario.status}, example=${scenario.example}`,
      });
      expect({ status: answer.status, text: answer.text }).toEqual({ status: scenario.status, text: scenario.value });
      expect(answer.bytes.equals(Buffer.from(scenario.value as string, 'utf8'))).toBe(true);
      expect(answer.contentType?.split(';')[0]).toBe(mediaType);
    },
  );

  it('sends the documented Content-Disposition with a CSV answer', async () => {
    const answer = await post(mock, `${CALLBACK_PATH}?${validQuery}`, { Accept: 'text/csv', Prefer: 'code=200, example=applied' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-disposition')).toBe('attachment;filename="QvicklyCheckoutIpnCallBack.csv"');
  });

  it('answers each Prefer header the operation description tells partners to try', async () => {
    const prefers = [...(callbackOperation.description ?? '').matchAll(/`Prefer: ([^`]+)`/g)].map((match) => match[1]!);
    expect(prefers.length).toBeGreaterThanOrEqual(2);
    for (const prefer of prefers) {
      const code = /code=(\d+)/.exec(prefer)?.[1];
      const example = /example=(\w+)/.exec(prefer)?.[1];
      // Prism picks the first example of the asked code, or the first response holding the example.
      const expected = example
        ? jsonScenarios.find((scenario) => scenario.example === example && (!code || scenario.response === code))
        : firstExample(code ?? '', 'application/json');
      expect(expected).toBeDefined();
      const answer = await post(mock, `${CALLBACK_PATH}?${validQuery}`, { Prefer: prefer });
      expect({ prefer, status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({
        prefer,
        status: expected?.status,
        body: expected?.value,
      });
    }
  });

  it('answers a request without Prefer with the first documented 200 example', async () => {
    const answer = await post(mock, `${CALLBACK_PATH}?${validQuery}`, {});
    const applied = firstExample('200', 'application/json');
    expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({ status: 200, body: applied.value });
  });

  // Prism refuses a request that breaks the contract. The contract documents a 400, so Prism
  // answers 400 (not 422) with the first BadRequest example and names the real violation in
  // its sl-violations header.
  it('refuses ArticleTypeId=abc with 400 and names the parameter', async () => {
    const query = new URLSearchParams({ CompanyId: routing.CompanyId, BookingId: routing.BookingId, ArticleTypeId: 'abc' });
    const answer = await post(mock, `${CALLBACK_PATH}?${query.toString()}`, { Accept: 'application/json' });
    expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({
      status: 400,
      body: firstExample('400', 'application/json').value,
    });
    expect(violations(answer).map((violation) => violation.location.join('.'))).toEqual(['request.query.articletypeid']);
  });

  it('refuses a CompanyId that is not a UUID with 400 and names the parameter', async () => {
    const query = new URLSearchParams({ CompanyId: 'not-a-uuid', BookingId: routing.BookingId, ArticleTypeId: '1' });
    const answer = await post(mock, `${CALLBACK_PATH}?${query.toString()}`, { Accept: 'application/json' });
    expect(answer.status).toBe(400);
    // Every violation is about CompanyId (its format and pattern); nothing else is wrong.
    const locations = violations(answer).map((violation) => violation.location.join('.'));
    expect(locations.length).toBeGreaterThanOrEqual(1);
    expect(new Set(locations)).toEqual(new Set(['request.query.companyid']));
  });

  it('refuses a text/plain body with the documented 415 example', async () => {
    const answer = await post(mock, `${CALLBACK_PATH}?${validQuery}`, { 'Content-Type': 'text/plain', Accept: 'application/json' });
    expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({
      status: 415,
      body: firstExample('415', 'application/json').value,
    });
  });
});

describe('npm run mock with MOCK_PORT', () => {
  let mock: MockServer | undefined;

  beforeAll(async () => {
    const port = await freePort();
    mock = await startMock('npm', ['run', '-s', 'mock'], port, { MOCK_PORT: String(port) });
  }, 40_000);

  afterAll(async () => {
    await mock?.stop();
  }, 15_000);

  it('answers a signed callback with the documented applied example on MOCK_PORT', async () => {
    expect(signed.hash).toBe(vector.hash);
    const answer = await post(mock!, `${CALLBACK_PATH}?${validQuery}`, { Accept: 'application/json' }, signed.jsonBody);
    expect(answer.status).toBe(200);
    // Vector v1 is payment 810652 Paid: the example is also exactly what the real service says.
    expect(answer.text).toBe(`{"Message":"Payment ${String(vector.data.number)} is now ${String(vector.data.status)}","Success":true}`);
    expect(JSON.parse(answer.text)).toEqual(firstExample('200', 'application/json').value);
  });

  it('serves the typed client a signed callback from every shared vector', async () => {
    const client = createIpnClient(mock!.url);
    for (const each of vectors) {
      const callback = signCallback(each.secret, each.data);
      expect(callback.hash).toBe(each.hash);
      const { data, error, response } = await sendCallback(client, routing, callback);
      expect({ status: response.status, data, error }).toEqual({ status: 200, data: firstExample('200', 'application/json').value, error: undefined });
    }
  });

  it('stops with no process of npm, the shell or Prism left behind', async () => {
    const running = mock!;
    expect(liveMembers(running.pgid).length).toBeGreaterThanOrEqual(1);
    await running.stop();
    mock = undefined;
    expect(liveMembers(running.pgid)).toEqual([]);
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
  }, 15_000);
});
