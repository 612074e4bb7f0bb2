import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { callbackUrl, signCallback } from '../../src/client/sign';
import { runCli, startServiceProcess, type ServiceProcess } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { vectors } from '../support/vectors';

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

const engines = process.env.POSTGRES_UNAVAILABLE ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);

describe.each(engines)('the operator CLI on %s', (engine) => {
  let dir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  let service: ServiceProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-cli-'));
    database = await createTestDatabase(engine);
    env = database.environment;
    service = await startServiceProcess(env);
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: string, query = `CompanyId=${COMPANY}&BookingId=B-7&ArticleTypeId=2`) =>
    fetch(`${service.url}/payment/billmate/v1/ipncallback?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });

  it('replays a callback that arrived before its company had a secret', async () => {
    const vector = vectors[0];
    if (!vector) throw new Error('no vector');
    const early = await post(vector.json_body);
    expect(early.status).toBe(401);

    const listed = await runCli(['inbox', 'list', '--company', COMPANY, '--outcome', 'unauthenticated', '--json'], env);
    expect(listed.code).toBe(0);
    const [row] = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(row).toMatchObject({ companyId: COMPANY, number: '810652', status: 'Paid', outcome: 'unauthenticated', reason: 'no Qvickly secret is configured for the company' });

    const secretFile = path.join(dir, 'secret');
    writeFileSync(secretFile, `${vector.secret}\n`);
    // A company from before signed callback URLs (which need its secret to exist first).
    expect(await runCli(['company', 'set', COMPANY, '--secret-file', secretFile, '--merchant-id', 'M-42', '--callback-urls', 'any'], env)).toMatchObject({
      code: 0,
      stdout: `Company ${COMPANY} created\n`,
    });

    const replay = await runCli(['inbox', 'replay', String(row?.callbackId)], env);
    expect(replay.stderr).toBe('');
    expect(replay.stdout).toMatch(new RegExp(`^Callback ${row?.callbackId} replayed as \\d+: applied - Payment 810652 is now Paid\\n$`));
    // Qvickly's own retry of the same callback is now a duplicate.
    expect(await (await post(vector.json_body)).text()).toBe('{"Message":"Callback already received for payment 810652; nothing changed","Success":true}');

    const shown = await runCli(['payment', 'show', COMPANY, '810652', '--json'], env);
    const payment = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(Object.keys(payment)).toEqual([
      'companyId',
      'number',
      'bookingId',
      'articleTypeId',
      'orderid',
      'status',
      'category',
      'url',
      'routing',
      'updatedAt',
      'history',
      'confirmation',
      'relatedPayments',
    ]);
    expect(payment).toMatchObject({ companyId: COMPANY, number: '810652', bookingId: 'B-7', articleTypeId: 2, orderid: 'P1234567891581073915', status: 'Paid', category: 'settled', url: '' });
    expect(payment.history).toEqual([
      { status: 'Paid', category: 'settled', outcome: 'applied', callbackId: expect.any(Number), receivedAt: expect.any(String) },
    ]);
    const original = await runCli(['inbox', 'show', String(row?.callbackId), '--json'], env);
    expect(JSON.parse(original.stdout)).toMatchObject({ outcome: 'unauthenticated', body: vector.json_body });
  });

  it('sets a secret from stdin and never prints it', async () => {
    const other = '11111111-2222-4333-8444-555555555555';
    expect((await runCli(['company', 'set', other], env, 'stdin-secret-value\n')).code).toBe(0);
    const human = await runCli(['company', 'list'], env);
    const json = await runCli(['company', 'list', '--json'], env);
    expect(human.stdout).toContain(other);
    expect(JSON.parse(json.stdout)).toEqual(
      expect.arrayContaining([
        { companyId: other, merchantId: null, test: false, callbackUrls: 'signed', previousSecretExpiresAt: null, updatedAt: expect.any(String) },
      ]),
    );
    expect(human.stdout + json.stdout).not.toContain('stdin-secret-value');
    const signed = signCallback('stdin-secret-value', { number: 'S-1', status: 'Pending' });
    const url = callbackUrl({ secret: 'stdin-secret-value', companyId: other, bookingId: 'B', articleTypeId: 1, base: '' });
    expect((await post(signed.jsonBody, url.split('?')[1])).status).toBe(200);
  });

  it('prints the signed callback URL for a checkout, as the typed client and an independent computation make it', async () => {
    const other = '21111111-2222-4333-8444-555555555555';
    expect((await runCli(['company', 'set', other, '--secret', 'url-secret'], env)).code).toBe(0);
    const printed = await runCli(['callback-url', other, 'B 42', '3', '--order-id', 'P-7', '--base', 'https://pay.example/'], env);
    const independent = createHmac('sha256', 'url-secret').update(`qvickly-ipn:callbackurl:v1\n${other}\nB 42\n3\nP-7`).digest('hex');
    const expected = `https://pay.example/payment/billmate/v1/ipncallback?CompanyId=${other}&BookingId=B+42&ArticleTypeId=3&OrderId=P-7&Signature=${independent}`;
    expect(printed).toMatchObject({ code: 0, stdout: `${expected}\n` });
    expect(callbackUrl({ secret: 'url-secret', companyId: other, bookingId: 'B 42', articleTypeId: 3, orderId: 'P-7', base: 'https://pay.example' })).toBe(expected);
    const unknown = await runCli(['callback-url', '31111111-2222-4333-8444-555555555555', 'B', '1'], env);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('has no Qvickly secret')]);
  });

  it('lists payments of a company and of a booking', async () => {
    const all = JSON.parse((await runCli(['payment', 'list', '--company', COMPANY, '--json'], env)).stdout) as Array<{ number: string }>;
    expect(all.map((payment) => payment.number)).toEqual(['810652']);
    const none = await runCli(['payment', 'list', '--company', COMPANY, '--booking', 'other'], env);
    expect(none.stdout).toBe('No payments.\n');
  });

  it('prints the shared vectors as signed bodies, raw JSON and form', async () => {
    for (const vector of vectors) {
      const json = await runCli(['sign', '--secret', vector.secret, '--data', JSON.stringify(vector.data)], env);
      expect(json.stdout).toBe(`${vector.json_body}\n`);
      const form = await runCli(['sign', '--secret', vector.secret, '--data', JSON.stringify(vector.data), '--form'], env);
      expect(form.stdout).toBe(`${vector.form_body}\n`);
    }
  });

  it('refuses bad input with a clear message and a non-zero exit', async () => {
    const badId = await runCli(['company', 'set', 'not-a-uuid', '--secret', 'x'], env);
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toContain("error: command-argument value 'not-a-uuid' is invalid for argument 'companyId'. must be a UUID");
    const missing = await runCli(['payment', 'show', COMPANY, 'nope'], env);
    expect([missing.code, missing.stderr]).toEqual([1, `No payment nope for company ${COMPANY}\n`]);
    const outcome = await runCli(['inbox', 'list', '--outcome', 'bogus'], env);
    expect(outcome.stderr).toContain("Allowed choices are applied, duplicate, stale, conflict, unrecognised, booking_mismatch, unauthenticated, invalid");
    const data = await runCli(['sign', '--secret', 's', '--data', '[1]'], env);
    expect([data.code, data.stderr.trim()]).toEqual([1, '--data must be a JSON object']);
    const noReplay = await runCli(['inbox', 'replay', '999999'], env);
    expect([noReplay.code, noReplay.stderr]).toEqual([1, 'No callback 999999 in the inbox\n']);
  });
});
