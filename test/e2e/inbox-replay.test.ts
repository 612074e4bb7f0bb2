import { existsSync } from 'node:fs';
import { callbackUrl, signCallback } from '../../src/client/sign';
import { builtCli, runCli, startServiceProcess, type ServiceProcess } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/stores';

const COMPANY = '3f8e2a10-5b7c-4d9e-8f1a-2b3c4d5e6f70';
const SECRET = 'replay-secret-0001';
// The callback URL BokaMera would have given Qvickly for the checkout: signed.
const SIGNED_URL = callbackUrl({ secret: SECRET, companyId: COMPANY, bookingId: 'B-1', articleTypeId: 3, base: '' });

const engines = process.env.POSTGRES_UNAVAILABLE ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);

describe.each(engines)('qvickly-ipn inbox replay --content-type against the built service on %s', (engine) => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let service: ServiceProcess;

  beforeAll(async () => {
    if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: run npm run -s build first`);
    database = await createTestDatabase(engine);
    env = database.environment;
    service = await startServiceProcess(env);
    expect((await runCli(['company', 'set', COMPANY, '--secret', SECRET], env)).code).toBe(0);
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  it('applies a signed callback that was refused with 415 for its label, decoded as application/json', async () => {
    const signed = signCallback(SECRET, { number: 'R-415', status: 'Paid', orderid: 'O', url: '' });
    const refused = await fetch(`${service.url}${SIGNED_URL}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/xml' },
      body: signed.jsonBody,
    });
    expect(refused.status).toBe(415);

    const listed = await runCli(['inbox', 'list', '--company', COMPANY, '--outcome', 'unsupported', '--json'], env);
    const [row] = JSON.parse(listed.stdout) as Array<{ callbackId: number; contentType: string; reason: string }>;
    expect(row).toMatchObject({ contentType: 'application/xml', reason: "Content-Type 'application/xml' is not supported" });

    // Without --content-type the replay decodes it as it came, and is refused the same way.
    const asStored = await runCli(['inbox', 'replay', String(row?.callbackId)], env);
    expect([asStored.code, asStored.stdout, asStored.stderr]).toEqual([1, '', "Content-Type 'application/xml' is not supported\n"]);

    const replay = await runCli(['inbox', 'replay', String(row?.callbackId), '--content-type', 'application/json'], env);
    expect([replay.code, replay.stderr]).toEqual([0, '']);
    expect(replay.stdout).toMatch(new RegExp(`^Callback ${row?.callbackId} replayed as \\d+: applied - Payment R-415 is now Paid\\n$`));

    const payment = JSON.parse((await runCli(['payment', 'show', COMPANY, 'R-415', '--json'], env)).stdout) as Record<string, unknown>;
    expect(payment).toMatchObject({ number: 'R-415', bookingId: 'B-1', articleTypeId: 3, status: 'Paid' });
    // The original row is kept as it was; Qvickly's next retry, properly labelled, is a duplicate.
    const original = JSON.parse((await runCli(['inbox', 'show', String(row?.callbackId), '--json'], env)).stdout) as Record<string, unknown>;
    expect(original).toMatchObject({ outcome: 'unsupported', body: signed.jsonBody });
    const retry = await fetch(`${service.url}${SIGNED_URL}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: signed.jsonBody,
    });
    expect(await retry.text()).toBe('{"Message":"Callback already received for payment R-415; nothing changed","Success":true}');
  });
});
