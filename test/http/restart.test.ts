import { SqliteStore } from '../../src/store/sqlite/store';
import { aCallback, aMerchant } from '../support/callbacks';
import { startTestService } from '../support/service';
import { createTestDatabase, describeStore, engine } from '../support/stores';

describeStore('a restart', () => {
  it('keeps every acknowledged callback and payment, and still recognises repeats', async () => {
    const database = await createTestDatabase();
    try {
      let store = await database.open();
      let service = await startTestService(store);
      const merchant = await aMerchant(store);
      const paid = aCallback({ merchant, number: 'r-1', status: 'Paid' });
      expect((await service.send(paid.path, paid.init)).status).toBe(200);
      const before = await store.findPayment(merchant.companyId, 'r-1');
      await service.stop();
      await store.close();

      store = await database.open();
      service = await startTestService(store);
      try {
        expect(await store.findPayment(merchant.companyId, 'r-1')).toEqual(before);
        const repeat = await service.send(paid.path, paid.init);
        expect(repeat.text).toBe('{"Message":"Callback already received for payment r-1; nothing changed","Success":true}');
        const credited = aCallback({ merchant, number: 'r-1', status: 'Credited' });
        expect((await service.send(credited.path, credited.init)).status).toBe(200);
        expect((await store.listCallbacks({ companyId: merchant.companyId })).map((row) => row.outcome)).toEqual([
          'applied',
          'duplicate',
          'applied',
        ]);
        if (store instanceof SqliteStore) {
          // Re-opening an existing WAL database must not fall back to synchronous=NORMAL.
          expect(store.durability()).toEqual({ journalMode: 'wal', synchronous: 2, walAutocheckpoint: 0 });
        }
      } finally {
        await service.stop();
        await store.close();
      }
    } finally {
      await database.drop();
    }
  });

  it(`reports the ${engine} store unreachable on /health once it is gone`, async () => {
    const database = await createTestDatabase();
    const store = await database.open();
    const service = await startTestService(store);
    try {
      const up = await service.send('/health');
      expect([up.status, up.text]).toEqual([200, `{"status":"ok","store":"reachable","engine":"${engine}"}`]);
      await store.close();
      const down = await service.send('/health');
      expect([down.status, down.text]).toEqual([503, `{"status":"unavailable","store":"unreachable","engine":"${engine}"}`]);
      const merchant = { companyId: crypto.randomUUID(), secret: 's' };
      const callback = aCallback({ merchant });
      expect((await service.send(callback.path, callback.init)).status).toBe(503);
    } finally {
      await service.stop();
      await database.drop();
    }
  });
});
