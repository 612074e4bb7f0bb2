import { statSync } from 'node:fs';
import { SqliteStore } from '../../src/store/sqlite/store';
import type { InboxEntry } from '../../src/ipn/ports';
import { createTestDatabase, engine } from '../support/stores';

const describeSqlite = engine === 'sqlite' ? describe : describe.skip;

describeSqlite('SQLite checkpoints', () => {
  it('copies committed pages into the database file from its own thread, not in a COMMIT', async () => {
    const database = await createTestDatabase('sqlite');
    const file = database.url.slice('sqlite:'.length);
    const store = await database.open({ commitQueueLimit: 5000 });
    try {
      if (!(store instanceof SqliteStore)) throw new Error('not the SQLite store');
      expect(store.durability()).toEqual({ journalMode: 'wal', synchronous: 2, walAutocheckpoint: 0 });
      const before = statSync(file).size;
      const entry = (index: number): InboxEntry => ({
        receivedAt: new Date().toISOString(),
        contentType: 'application/json',
        contentEncoding: null,
        query: '',
        body: Buffer.alloc(1000, index % 256),
        remoteAddress: null,
        companyId: 'c',
        bookingId: 'b',
        articleTypeId: 1,
        number: String(index),
        status: 'Paid',
        authentic: true,
        outcome: 'applied',
        reason: null,
        replayOf: null,
        duplicateOf: null,
        secretUsed: null,
        routing: null,
      });
      await Promise.all(Array.from({ length: 3000 }, (_, index) => store.settle({ entry: entry(index) })));
      // The service's own connection never checkpoints (wal_autocheckpoint = 0): only the
      // checkpointer thread can have grown the database file within this wait.
      const deadline = Date.now() + 5000;
      while (statSync(file).size < before + 3_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(statSync(file).size).toBeGreaterThan(before + 3_000_000);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
