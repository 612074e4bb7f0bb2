import { aCallback, aMerchant } from '../support/callbacks';
import { describeStore, engine } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';
import { refuseWrites } from '../support/unwritable';

describeStore('/health after a failed write', () => {
  const context = useServiceOnFreshStore();
  const ok = `{"status":"ok","store":"reachable","engine":"${engine}"}`;
  const unwritable = `{"status":"unavailable","store":"unwritable","engine":"${engine}"}`;
  const health = async () => {
    const answer = await context.service.send('/health');
    return [answer.status, answer.text];
  };

  it('is 503 unwritable from a failed commit until a write commits again, even once the store could write', async () => {
    const merchant = await aMerchant(context.store);
    expect(await health()).toEqual([200, ok]);
    const first = aCallback({ merchant, number: 'h-1' });
    const release = await refuseWrites(context.database);
    try {
      // Reads still work: only a write shows the store cannot take callbacks.
      expect(await health()).toEqual([200, ok]);
      expect((await context.service.send(first.path, first.init)).status).toBe(503);
      expect(await health()).toEqual([503, unwritable]);
    } finally {
      await release();
    }
    // Nothing has committed since: the store is not known to be writable yet.
    expect(await health()).toEqual([503, unwritable]);
    expect((await context.service.send(first.path, first.init)).status).toBe(200);
    expect(await health()).toEqual([200, ok]);
  });
});
