import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { openStore } from '../../src/store/open';
import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { startTestService, type TestService } from '../support/service';
import { DEFAULT_RETENTION, engine } from '../support/stores';
import { describeWithSmallFilesystem } from '../support/tmpfs';

const SIZE = 8 * 1024 * 1024;
const CALLBACKS = 50;
// Padding makes each callback need new WAL pages (~16 KB), so a full disk shows within a few of them.
const PADDING = 'p'.repeat(16_000);

/** The SQLite store on a real, small filesystem; PostgreSQL has its own disk, not this one. */
const describeOnSqlite = engine === 'sqlite' ? describeWithSmallFilesystem : (title: string) => describe.skip(`${title} (SQLite only)`, () => it.todo('SQLite only'));

describeOnSqlite('the SQLite store on a disk that fills up', SIZE, (filesystem) => {
  let store: PaymentStore;
  let service: TestService;
  let merchant: Merchant;
  beforeAll(async () => {
    store = await openStore({ databaseUrl: `sqlite:${path.join(filesystem().dir, 'store.sqlite')}`, retention: DEFAULT_RETENTION, secretsKey: randomBytes(32) });
    service = await startTestService(store);
    merchant = await aMerchant(store);
  });
  afterAll(async () => {
    await service?.stop();
    await store?.close();
  });

  const callbackNumber = (index: number) => `disk-${index}`;
  const send = (index: number) => {
    const callback = aCallback({ merchant, data: { number: callbackNumber(index), status: 'Paid', orderid: 'O', url: '', padding: PADDING } });
    return service.send(callback.path, callback.init);
  };
  const health = async () => {
    const answer = await service.send('/health');
    return [answer.status, answer.text];
  };

  it('answers each callback 200 with its row or 503 with none while full, reports unwritable, and recovers once space is freed, without a restart', async () => {
    const { fill, free } = filesystem();
    expect((await send(-1)).status).toBe(200);
    await fill();

    const statuses: number[] = [];
    for (let index = 0; index < CALLBACKS; index++) statuses.push((await send(index)).status);
    const counts = { ok: statuses.filter((status) => status === 200).length, unavailable: statuses.filter((status) => status === 503).length };
    console.log(`[sqlite] full ${SIZE / 1024 / 1024} MiB disk, ${CALLBACKS} signed callbacks of ~16 KB: ${counts.ok} answered 200, ${counts.unavailable} answered 503`);
    expect(counts.ok + counts.unavailable).toBe(CALLBACKS);
    expect(counts.unavailable).toBeGreaterThan(0);
    expect(await health()).toEqual([503, '{"status":"unavailable","store":"unwritable","engine":"sqlite"}']);

    const rows = new Map((await store.listCallbacks({ companyId: merchant.companyId, limit: 1000 })).map((row) => [row.number, row]));
    statuses.forEach((status, index) => {
      const row = rows.get(callbackNumber(index));
      // An acknowledged callback is in the inbox; a refused one left nothing behind.
      expect([index, status, row?.outcome ?? 'no row']).toEqual([index, status, status === 200 ? 'applied' : 'no row']);
    });

    await free();
    const retried: number[] = [];
    for (let index = 0; index < CALLBACKS; index++) if (statuses[index] === 503) retried.push((await send(index)).status);
    expect(new Set(retried)).toEqual(new Set([200]));
    expect(await health()).toEqual([200, '{"status":"ok","store":"reachable","engine":"sqlite"}']);
    for (let index = 0; index < CALLBACKS; index++) {
      expect([index, (await store.findPayment(merchant.companyId, callbackNumber(index)))?.status]).toEqual([index, 'Paid']);
    }
  });
});
