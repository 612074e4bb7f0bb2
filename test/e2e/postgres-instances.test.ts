import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { expectHistoryFollowsTheRule } from '../support/history';
import { startServiceProcess, type ServiceProcess } from '../support/processes';
import { adminUrl } from '../support/postgres-url';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { TcpProxy } from '../support/tcp-proxy';

const describePostgres = process.env.POSTGRES_UNAVAILABLE ? describe.skip : describe;

async function post(instance: ServiceProcess, request: { path: string; init: RequestInit }): Promise<{ status: number; message: string }> {
  const response = await fetch(`${instance.url}${request.path}`, request.init);
  const text = await response.text();
  return { status: response.status, message: response.status === 200 ? (JSON.parse(text) as { Message: string }).Message : text };
}

describePostgres('several instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let instances: ServiceProcess[] = [];
  let merchant: Merchant;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = await database.open();
    merchant = await aMerchant(store);
    instances = await Promise.all([startServiceProcess(database.environment), startServiceProcess(database.environment)]);
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await store?.close();
    await database?.drop();
  });

  it('applies each distinct callback exactly once when both instances receive it at the same time', async () => {
    const rounds = 8;
    const paymentsPerRound = 12;
    const copiesPerInstance = 2;
    let distinct = 0;
    for (let round = 0; round < rounds; round++) {
      const callbacks = Array.from({ length: paymentsPerRound }, (_, index) =>
        aCallback({ merchant, number: `mi-${round}-${index}`, status: index % 2 ? 'Paid' : 'Created' }),
      );
      distinct += callbacks.length;
      const sends = callbacks.flatMap((callback) =>
        instances.flatMap((instance) => Array.from({ length: copiesPerInstance }, () => post(instance, callback))),
      );
      const answers = await Promise.all(sends);
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
      const perCallback = copiesPerInstance * instances.length;
      for (let index = 0; index < callbacks.length; index++) {
        const mine = answers.slice(index * perCallback, (index + 1) * perCallback).map((answer) => answer.message);
        expect(mine.filter((message) => message.endsWith(' is now Paid') || message.endsWith(' is now Created'))).toHaveLength(1);
        expect(mine.filter((message) => message.startsWith('Callback already received'))).toHaveLength(perCallback - 1);
      }
    }
    const applied = await store.listCallbacks({ companyId: merchant.companyId, outcome: 'applied', limit: 10_000 });
    const duplicates = await store.listCallbacks({ companyId: merchant.companyId, outcome: 'duplicate', limit: 10_000 });
    expect(applied).toHaveLength(distinct);
    expect(duplicates).toHaveLength(distinct * (copiesPerInstance * instances.length - 1));
  });

  it('ends each payment where the apply rule says when different statuses race across instances', async () => {
    const statuses = ['Pending', 'Created', 'Approved', 'Paid', 'PartPayment', 'Credited', 'Cancelled', 'Denied'];
    for (let round = 0; round < 10; round++) {
      const number = `race-${round}`;
      const callbacks = statuses.map((status) => aCallback({ merchant, number, status }));
      const answers = await Promise.all(callbacks.flatMap((callback, index) => [post(instances[index % 2]!, callback), post(instances[(index + 1) % 2]!, callback)]));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);

      const payment = await store.findPayment(merchant.companyId, number);
      if (!payment) throw new Error(`payment ${number} missing`);
      expect(payment.history).toHaveLength(statuses.length);
      expectHistoryFollowsTheRule(payment);
      expect(['cancelled', 'failed']).toContain(payment.category);
    }
  });
});

describePostgres('the database going away and coming back', () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let proxy: TcpProxy;
  let instance: ServiceProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = await database.open();
    const server = new URL(adminUrl());
    proxy = await new TcpProxy({ host: server.hostname, port: Number(server.port || 5432) }).start();
  });
  afterAll(async () => {
    await instance?.stop();
    await proxy?.close();
    await store?.close();
    await database?.drop();
  });

  it('answers 503 while it is gone, reports it on /health, and recovers without a restart', async () => {
    const merchant = await aMerchant(store);
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    instance = await startServiceProcess({ ...database.environment, DATABASE_URL: viaProxy.toString() });
    const acknowledged: string[] = [];
    const send = async (number: string) => {
      const answer = await post(instance!, aCallback({ merchant, number, status: 'Paid' }));
      if (answer.status === 200) acknowledged.push(number);
      return answer.status;
    };

    expect(await send('up-1')).toBe(200);
    proxy.cut();
    expect(await send('down-1')).toBe(503);
    expect(await send('down-2')).toBe(503);
    const health = await fetch(`${instance.url}/health`);
    expect([health.status, await health.text()]).toEqual([503, '{"status":"unavailable","store":"unreachable","engine":"postgres"}']);

    proxy.restore();
    expect(await send('up-2')).toBe(200);
    expect(await send('down-1')).toBe(200); // Qvickly's retry of a refused callback goes through.
    expect((await fetch(`${instance.url}/health`)).status).toBe(200);

    for (const number of acknowledged) {
      expect(await store.findPayment(merchant.companyId, number)).toMatchObject({ status: 'Paid' });
    }
    expect(await store.findPayment(merchant.companyId, 'down-2')).toBeUndefined();
    expect(acknowledged).toEqual(['up-1', 'up-2', 'down-1']);
  });
});
