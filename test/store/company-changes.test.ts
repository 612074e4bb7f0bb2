import type { PaymentStore } from '../../src/store/types';
import { createTestDatabase, describeStore, engine, type TestDatabase } from '../support/stores';

// A callback reads its company's secrets as they are now, whoever changed them: this store, or
// another connection such as the CLI's `company set` while the service runs.

const COMPANY = '5d7c4f2e-8a1b-4c3d-9e0f-112233445566';
const now = (): string => new Date().toISOString();

describeStore(`company changes as the ${engine} store's callbacks see them`, () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let other: PaymentStore;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await database.open();
    other = await database.open();
  });
  afterEach(async () => {
    await other.close();
    await store.close();
    await database.drop();
  });

  const secretSeen = async (): Promise<string | undefined> => (await store.viewCallback(COMPANY, '1')).company?.secret;

  it('sees a company created, then re-keyed, by another connection at the next callback', async () => {
    expect(await secretSeen()).toBeUndefined();
    await other.changeCompany({ companyId: COMPANY, secret: 'first', now: now() });
    expect(await secretSeen()).toBe('first');
    await other.changeCompany({ companyId: COMPANY, secret: 'second', now: now() });
    expect(await secretSeen()).toBe('second');
  });

  it('sees its own change of a company at the next callback', async () => {
    await store.changeCompany({ companyId: COMPANY, secret: 'first', now: now() });
    expect(await secretSeen()).toBe('first');
    await store.changeCompany({ companyId: COMPANY, secret: 'second', merchantId: '4711', now: now() });
    expect(await store.viewCallback(COMPANY, '1')).toMatchObject({ company: { secret: 'second', merchantId: '4711' } });
  });
});
