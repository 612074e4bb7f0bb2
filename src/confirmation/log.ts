import type { CheckReport } from '../ipn/confirm';
import type { Logger } from '../observability/logger';

/**
 * One line per check: company, number, resulting state, attempts, Qvickly's status and why
 * (never a secret: the account's secret is not in a report's judgement or confirmation).
 */
export function logCheck(logger: Logger, report: CheckReport): void {
  const { check, confirmation, judgement, nextCheckAt, recorded } = report;
  const fields = {
    companyId: check.lease.companyId,
    number: check.lease.number,
    state: confirmation.state,
    attempts: confirmation.attempts,
    qvicklyStatus: confirmation.qvicklyStatus,
    reason: judgement.reason,
    ...(nextCheckAt ? { nextCheckAt } : {}),
  };
  if (!recorded) logger.info({ ...fields, dropped: true }, 'confirmation result dropped: a newer check of the payment is due');
  else if (confirmation.state === 'confirmed' || confirmation.state === 'pending') logger.info(fields, 'confirmation checked');
  else logger.warn(fields, 'confirmation checked');
}
