import { aCallback, aMerchant } from '../support/callbacks';
import { expectHistoryFollowsTheRule } from '../support/history';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

describeStore('callbacks racing each other', () => {
  const context = useServiceOnFreshStore();

  it('50 identical callbacks at once make exactly one change; the other 49 are duplicates', async () => {
    const merchant = await aMerchant(context.store);
    const callback = aCallback({ merchant, number: 'race-1', status: 'Paid' });
    const answers = await Promise.all(Array.from({ length: 50 }, () => context.service.send(callback.path, callback.init)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const messages = answers.map((answer) => (JSON.parse(answer.text) as { Message: string }).Message);
    expect(messages.filter((message) => message === 'Payment race-1 is now Paid')).toHaveLength(1);
    expect(messages.filter((message) => message.startsWith('Callback already received'))).toHaveLength(49);

    const payment = await context.store.findPayment(merchant.companyId, 'race-1');
    expect(payment?.history).toHaveLength(1);
    const inbox = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1000 });
    expect(inbox).toHaveLength(50);
    expect(inbox.filter((row) => row.outcome === 'applied')).toHaveLength(1);
  });

  it('different statuses racing for one payment end where the apply rule says, whatever the interleaving', async () => {
    const statuses = ['Pending', 'Created', 'Approved', 'Paid', 'Factoring', 'Credited', 'Cancelled', 'Failed', 'Sent'];
    for (let round = 0; round < 5; round++) {
      const merchant = await aMerchant(context.store);
      const callbacks = statuses.flatMap((status) => [aCallback({ merchant, number: 'race-2', status }), aCallback({ merchant, number: 'race-2', status })]);
      const answers = await Promise.all(callbacks.map((callback) => context.service.send(callback.path, callback.init)));
      expect(answers.map((answer) => answer.status)).toEqual(callbacks.map(() => 200));

      const payment = await context.store.findPayment(merchant.companyId, 'race-2');
      if (!payment) throw new Error('payment missing');
      // Each known status was evaluated once, in the order the store serialised them; replaying that order gives the state.
      expect(payment.history).toHaveLength(statuses.length - 1);
      expectHistoryFollowsTheRule(payment);
      // Cancelled and Failed both arrived, so the payment ended with whichever came first.
      expect(['cancelled', 'failed']).toContain(payment.category);
    }
  });
});
