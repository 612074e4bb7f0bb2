import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateTestCallback } from '../../src/client/sign';
import { runCli, startServiceProcess } from '../support/processes';
import { createTestDatabase } from '../support/stores';

const COMPANY = '3f2b9c1a-5d4e-4f60-8a7b-9c0d1e2f3a4b';
const mode = (file: string): string => (statSync(file).mode & 0o777).toString(8);

describe('secrets at rest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 0600 key beside an embedded database on first use, in a 0700 folder, with no setting', async () => {
    const data = path.join(dir, 'data');
    const env = { DATABASE_URL: `sqlite:${path.join(data, 'store.sqlite')}` };
    expect(await runCli(['company', 'set', COMPANY, '--secret', 'first-use-secret'], env)).toMatchObject({ code: 0 });
    expect([mode(data), mode(path.join(data, 'store.sqlite')), mode(path.join(data, 'secrets.key'))]).toEqual(['700', '600', '600']);
    expect(readFileSync(path.join(data, 'secrets.key'), 'utf8')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(readFileSync(path.join(data, 'store.sqlite')).toString('latin1')).not.toContain('first-use-secret');
  });

  it('refuses to start the service or run the CLI with a key that cannot open the stored secrets', async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'store.sqlite')}` };
    expect((await runCli(['company', 'set', COMPANY, '--secret', 's1'], env)).code).toBe(0);
    const otherKey = path.join(dir, 'other.key');
    writeFileSync(otherKey, `${(await runCli(['secrets', 'keygen'], {})).stdout}`, { mode: 0o600 });
    const wrong = { ...env, SECRETS_KEY_FILE: otherKey };
    const cli = await runCli(['company', 'list'], wrong);
    expect([cli.code, cli.stderr]).toEqual([1, expect.stringContaining('the secrets of 1 companies cannot be opened with the key given')]);
    await expect(startServiceProcess(wrong)).rejects.toThrow(/cannot be opened with the key given/);
  });

  it('re-seals every secret with a new key; the service then verifies callbacks with it and not with the old key', async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'store.sqlite')}` };
    expect((await runCli(['company', 'set', COMPANY, '--secret', 'rekeyed-secret'], env)).code).toBe(0);
    const newKey = path.join(dir, 'new.key');
    writeFileSync(newKey, (await runCli(['secrets', 'keygen'], {})).stdout, { mode: 0o600 });
    const rekey = await runCli(['secrets', 'rekey', '--new-key-file', newKey], env);
    expect(rekey).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Sealed the secrets of 1 companies with key [0-9a-f]{8}\. Set SECRETS_KEY_FILE=/) });
    expect((await runCli(['company', 'list'], env)).code).toBe(1);
    const service = await startServiceProcess({ ...env, SECRETS_KEY_FILE: newKey });
    try {
      const callback = generateTestCallback({ secret: 'rekeyed-secret', companyId: COMPANY, bookingId: 'B', articleTypeId: 1, data: { number: 'K-1', status: 'Paid' } });
      const answer = await fetch(`${service.url}${callback.path}`, { method: 'POST', headers: callback.headers, body: callback.body });
      expect(answer.status).toBe(200);
    } finally {
      await service.stop();
    }
  });

  const postgres = process.env.POSTGRES_UNAVAILABLE ? it.skip : it;
  postgres('requires SECRETS_KEY_FILE with PostgreSQL, and seals the secrets stored there', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const without = await runCli(['company', 'list'], { DATABASE_URL: database.url });
      expect([without.code, without.stderr]).toEqual([1, expect.stringContaining('SECRETS_KEY_FILE is required with PostgreSQL')]);
      expect((await runCli(['company', 'set', COMPANY, '--secret', 'pg-secret'], database.environment)).code).toBe(0);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ secret: string }>('SELECT secret FROM companies');
        expect(rows).toEqual([{ secret: expect.stringMatching(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/) }]);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});
