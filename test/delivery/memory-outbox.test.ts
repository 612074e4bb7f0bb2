import { createMemoryOutbox } from '../support/memory-outbox';
import { describeOutboxContract } from '../support/outbox-contract';

describeOutboxContract('the in-memory outbox', async () => {
  const outbox = createMemoryOutbox();
  return { outbox, record: (event, now) => outbox.record(event, now) };
});
