import type { PaymentStore } from '../../src/store/types';
import { startTestService, type TestService } from '../support/service';
import { createTestDatabase, describeStore, type TestDatabase } from '../support/stores';
import { vectors } from '../support/vectors';

describeStore('the shared Qvickly vectors sent as Qvickly sends them', () => {
  let database: TestDatabase;
  let store: PaymentStore;
  let service: TestService;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await database.open();
    service = await startTestService(store);
  });
  afterAll(async () => {
    await service.stop();
    await store.close();
    await database.drop();
  });

  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s as raw JSON, then as a form', async (_id, vector) => {
    const companyId = crypto.randomUUID();
    await store.setCompany(companyId, vector.secret, null, new Date().toISOString());
    const path = `/payment/billmate/v1/ipncallback?CompanyId=${companyId}&BookingId=B-1&ArticleTypeId=1`;
    const number = String(vector.data.number);
    const status = String(vector.data.status);

    const json = await service.send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: vector.json_body,
    });
    expect(json.status).toBe(200);
    expect(json.text).toBe(`{"Message":"Payment ${number} is now ${status}","Success":true}`);

    const form = await service.send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: vector.form_body,
    });
    expect(form.status).toBe(200);
    expect(form.text).toBe(`{"Message":"Callback already received for payment ${number}; nothing changed","Success":true}`);

    const payment = await store.findPayment(companyId, number);
    expect(payment).toMatchObject({ bookingId: 'B-1', articleTypeId: 1, status, orderid: vector.data.orderid });
    expect(payment?.history.map((entry) => entry.outcome)).toEqual(['applied']);
  });
});
