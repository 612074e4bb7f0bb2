import type { PaymentStore } from '../../src/store/types';
import { startTestService, type TestService } from './service';
import { createTestDatabase, type TestDatabase } from './stores';

/** A fresh database of the project's engine with the real service in front of it, for one describe block. */
export function useServiceOnFreshStore(options: { rejectedCallbackCap?: number; environment?: Record<string, string> } = {}) {
  const context = {} as { database: TestDatabase; store: PaymentStore; service: TestService };
  beforeAll(async () => {
    context.database = await createTestDatabase();
    context.store = await context.database.open({ retention: { rows: options.rejectedCallbackCap } });
    context.service = await startTestService(context.store, options.environment);
  });
  afterAll(async () => {
    await context.service?.stop();
    await context.store?.close();
    await context.database?.drop();
  });
  return context;
}
