import type { Config } from '../config';
import { checkConfirmation, type CheckReport } from '../ipn/confirm';
import type { NotCheckable, PaymentInfoSource } from '../ipn/confirmation-ports';
import type { PaymentStore } from '../store/types';
import { qvicklyOf, retryWindowOf } from './start';

/**
 * `payment confirm`: one check of one payment, now, in the caller's process: queued first if its
 * confirmation is settled (or missing), leased whatever its due time, then asked, judged and
 * recorded exactly as the service's worker does (a transient failure leaves it to the worker's
 * retries).
 */
export async function confirmNow(
  store: PaymentStore,
  config: Config,
  payment: { companyId: string; number: string },
  qvickly: PaymentInfoSource = qvicklyOf(config),
  clock: () => Date = () => new Date(),
): Promise<CheckReport | NotCheckable> {
  const now = clock();
  const check = await store.confirmations.leaseNow(payment.companyId, payment.number, now, new Date(now.getTime() + config.confirmationLeaseMs));
  if (typeof check === 'string') return check;
  const report = await checkConfirmation({ store: store.confirmations, qvickly, clock, random: Math.random, retry: retryWindowOf(config) }, check);
  if (!report) throw new Error('a check without a signal cannot be ended early');
  return report;
}
