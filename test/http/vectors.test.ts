import { callbackUrl } from '../../src/client/sign';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';
import { vectors } from '../support/vectors';

describeStore('the shared Qvickly vectors sent as Qvickly sends them', () => {
  const context = useServiceOnFreshStore();

  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s as raw JSON, then as a form', async (_id, vector) => {
    const companyId = crypto.randomUUID();
    await context.store.changeCompany({ companyId, secret: vector.secret, now: new Date().toISOString() });
    const path = callbackUrl({ secret: vector.secret, companyId, bookingId: 'B-1', articleTypeId: 1, base: '' });
    const number = String(vector.data.number);
    const status = String(vector.data.status);

    const json = await context.service.send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: vector.json_body,
    });
    expect(json.status).toBe(200);
    expect(json.text).toBe(`{"Message":"Payment ${number} is now ${status}","Success":true}`);

    const form = await context.service.send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: vector.form_body,
    });
    expect(form.status).toBe(200);
    expect(form.text).toBe(`{"Message":"Callback already received for payment ${number}; nothing changed","Success":true}`);

    const payment = await context.store.findPayment(companyId, number);
    expect(payment).toMatchObject({ bookingId: 'B-1', articleTypeId: 1, status, orderid: vector.data.orderid });
    expect(payment?.history.map((entry) => entry.outcome)).toEqual(['applied']);
  });
});
