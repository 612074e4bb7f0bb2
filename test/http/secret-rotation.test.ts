import { aCallback, type Merchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

describeStore('rotating a company secret', () => {
  const context = useServiceOnFreshStore();

  async function rotate(companyId: string, secret: string, keepPreviousUntil?: Date): Promise<void> {
    await context.store.changeCompany({ companyId, secret, keepPreviousUntil: keepPreviousUntil?.toISOString(), now: new Date().toISOString() });
  }

  it('verifies callbacks signed with the previous secret until it expires, and records which secret matched', async () => {
    const merchant: Merchant = { companyId: crypto.randomUUID(), secret: 'old-secret' };
    await rotate(merchant.companyId, 'old-secret');
    await rotate(merchant.companyId, 'new-secret', new Date(Date.now() + 30 * 86_400_000));

    const byOld = aCallback({ merchant, number: 'rot-1', status: 'Created' });
    const byNew = aCallback({ merchant: { ...merchant, secret: 'new-secret' }, number: 'rot-1', status: 'Paid' });
    expect((await context.service.send(byOld.path, byOld.init)).status).toBe(200);
    expect((await context.service.send(byNew.path, byNew.init)).status).toBe(200);
    const rows = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(rows.map((row) => [row.status, row.outcome, row.secretUsed])).toEqual([
      ['Paid', 'applied', 'current'],
      ['Created', 'applied', 'previous'],
    ]);
  });

  it('refuses the previous secret once it has expired, and any secret after a rotation without overlap', async () => {
    const merchant: Merchant = { companyId: crypto.randomUUID(), secret: 'first' };
    await rotate(merchant.companyId, 'first');
    await rotate(merchant.companyId, 'second', new Date(Date.now() - 1000));
    const expired = aCallback({ merchant, number: 'rot-2' });
    expect((await context.service.send(expired.path, expired.init)).status).toBe(401);

    await rotate(merchant.companyId, 'third');
    const previous = aCallback({ merchant: { ...merchant, secret: 'second' }, number: 'rot-3' });
    expect((await context.service.send(previous.path, previous.init)).status).toBe(401);
    const [latest] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 });
    expect(latest).toMatchObject({ outcome: 'unauthenticated', reason: 'credentials.hash does not match data', secretUsed: null });
  });
});
