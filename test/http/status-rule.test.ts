import { aCallback, aMerchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

describeStore("the status rule's open cases, over HTTP", () => {
  const context = useServiceOnFreshStore();

  async function send(merchant: Awaited<ReturnType<typeof aMerchant>>, number: string, status: string, url = '') {
    const callback = aCallback({ merchant, number, data: { number, status, orderid: 'O', url } });
    return (await context.service.send(callback.path, callback.init)).text;
  }

  it('a late retry of Created after Approved does not move the payment back', async () => {
    const merchant = await aMerchant(context.store);
    await send(merchant, 'sr-1', 'Created');
    await send(merchant, 'sr-1', 'Approved');
    // The same status, other signed data (a retry of an older callback is not always byte-identical).
    expect(await send(merchant, 'sr-1', 'Created', 'https://x.example/late')).toBe(
      '{"Message":"Payment sr-1 is already Approved; Created was recorded but not applied","Success":true}',
    );
    expect((await context.store.findPayment(merchant.companyId, 'sr-1'))?.status).toBe('Approved');
  });

  it('a status the history already holds is stale, even one of the same step as the current one', async () => {
    const merchant = await aMerchant(context.store);
    await send(merchant, 'sr-2', 'Paid');
    expect(await send(merchant, 'sr-2', 'Factoring')).toBe('{"Message":"Payment sr-2 is now Factoring","Success":true}');
    expect(await send(merchant, 'sr-2', 'PAID', 'https://x.example/again')).toBe(
      '{"Message":"Payment sr-2 is already Factoring; PAID was recorded but not applied","Success":true}',
    );
    const payment = await context.store.findPayment(merchant.companyId, 'sr-2');
    expect(payment?.history.map((entry) => [entry.status, entry.outcome])).toEqual([
      ['Paid', 'applied'],
      ['Factoring', 'applied'],
      ['PAID', 'stale'],
    ]);
  });

  it('a credit-check result (FactoringWithRegress, Handling) is an accepted payment, not a settled one', async () => {
    const merchant = await aMerchant(context.store);
    await send(merchant, 'sr-3', 'Created');
    await send(merchant, 'sr-3', 'FactoringWithRegress');
    expect(await context.store.findPayment(merchant.companyId, 'sr-3')).toMatchObject({ status: 'FactoringWithRegress', category: 'accepted' });
    await send(merchant, 'sr-4', 'Handling');
    expect(await context.store.findPayment(merchant.companyId, 'sr-4')).toMatchObject({ status: 'Handling', category: 'accepted' });
  });
});
