import { existsSync } from 'node:fs';
import { generateTestCallback } from '../../src/client/sign';
import type { PaymentStore } from '../../src/store/types';
import { builtCli, startServiceProcess, type ServiceProcess } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/stores';

const BODY_LIMIT = 20_000;
const REJECTED_CAP = 100;
const REJECTED_BYTES = 1_048_576;
// The stores prune rejected rows once every 100 rejections.
const PRUNE_EVERY = 100;
const COMPANY = '9b2f6c1d-3e4a-4b5c-8d6e-7f8091a2b3c4';

const engines = process.env.POSTGRES_UNAVAILABLE ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);

describe.each(engines)('limits set in the environment of the built service on %s', (engine) => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let reader: PaymentStore;
  let rejectedSoFar = 0;

  beforeAll(async () => {
    if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: run npm run -s build first`);
    database = await createTestDatabase(engine);
    service = await startServiceProcess({
      ...database.environment,
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      REJECTED_CALLBACK_CAP: String(REJECTED_CAP),
      REJECTED_CALLBACK_BYTES: String(REJECTED_BYTES),
    });
    reader = await database.open();
  });
  afterAll(async () => {
    await service?.stop();
    await reader?.close();
    await database?.drop();
  });

  /** A forged callback (its company has no secret) padded to about `bytes`: stored as rejected, answered 401. */
  async function reject(serial: number, bytes: number): Promise<number> {
    const request = generateTestCallback({
      secret: 'nobody-has-this',
      companyId: COMPANY,
      bookingId: 'B',
      articleTypeId: 1,
      data: { number: `limit-${serial}`, status: 'Paid', padding: 'p'.repeat(Math.max(0, bytes - 250)) },
    });
    const response = await fetch(`${service.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
    await response.text();
    if (response.status === 401) rejectedSoFar += 1;
    return response.status;
  }

  const rejectedRows = async () => (await reader.listCallbacks({ limit: 100_000 })).filter((row) => !row.authentic);

  it(`answers 413 above BODY_LIMIT_BYTES=${BODY_LIMIT} and takes a body just under it`, async () => {
    expect(await reject(0, BODY_LIMIT + 1000)).toBe(413);
    expect(await reject(1, BODY_LIMIT - 500)).toBe(401);
    const rows = await rejectedRows();
    expect(rows.map((row) => row.number)).toEqual(['limit-1']);
  });

  it(`prunes rejected rows to REJECTED_CALLBACK_CAP=${REJECTED_CAP} every ${PRUNE_EVERY} rejections`, async () => {
    // Sequential: each prune sees every earlier rejection, so the count after each is exact.
    for (let serial = 2; rejectedSoFar < 2 * PRUNE_EVERY + 50; serial++) expect(await reject(serial, 500)).toBe(401);
    const rows = await rejectedRows();
    expect(rows).toHaveLength(REJECTED_CAP + 50);
    expect(rows[0]?.number).toBe(`limit-${rejectedSoFar}`);
    for (let serial = 1000; rejectedSoFar < 3 * PRUNE_EVERY; serial++) expect(await reject(serial, 500)).toBe(401);
    expect(await rejectedRows()).toHaveLength(REJECTED_CAP);
  });

  it(`prunes rejected rows to REJECTED_CALLBACK_BYTES=${REJECTED_BYTES} of bodies and queries`, async () => {
    for (let serial = 2000; rejectedSoFar < 4 * PRUNE_EVERY; serial++) expect(await reject(serial, BODY_LIMIT - 500)).toBe(401);
    const rows = await rejectedRows();
    const bytes = rows.reduce((sum, row) => sum + row.body.length + Buffer.byteLength(row.query), 0);
    // 100 rows of ~19.5 KB would be ~1.9 MB: the byte cap, not the row cap, decided.
    expect(bytes).toBeLessThanOrEqual(REJECTED_BYTES);
    expect(bytes).toBeGreaterThan(REJECTED_BYTES - BODY_LIMIT);
    expect(rows.length).toBeLessThan(REJECTED_CAP);
  });
});
