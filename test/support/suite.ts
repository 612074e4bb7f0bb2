import type { PaymentStore } from '../../src/store/types';
import { startTestService, type TestService } from './service';
import { createTestDatabase, type TestDatabase } from './stores';

/** A fresh database of the project's engine with the real app in front of it, for one describe block. */
export function useServiceOnFreshStore(options: { rejectedCallbackCap?: number; bodyLimitBytes?: number } = {}) {
  const context = {} as { database: TestDatabase; store: PaymentStore; service: TestService };
  beforeAll(async () => {
    context.database = await createTestDatabase();
    context.store = await context.database.open({ rejectedCallbackCap: options.rejectedCallbackCap });
    context.service = await startTestService(context.store, { bodyLimitBytes: options.bodyLimitBytes });
  });
  afterAll(async () => {
    await context.service?.stop();
    await context.store?.close();
    await context.database?.drop();
  });
  return context;
}
