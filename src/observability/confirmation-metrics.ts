import { Counter, Gauge, type Registry } from 'prom-client';
import type { CheckReport } from '../ipn/confirm';
import type { ConfirmationStore } from '../ipn/confirmation-ports';

const STATES = ['pending', 'confirmed', 'mismatch', 'rejected', 'unavailable'] as const;

/**
 * Confirmation with Qvickly in /metrics, on the service's registry: checks by the state they
 * left the confirmation in (pending = to be retried), results dropped for a newer check, and the
 * backlog read from the store at each scrape (shared by every instance on one database).
 */
export class ConfirmationMetrics {
  private readonly checks: Counter<'state'>;
  private readonly superseded: Counter;

  constructor(registry: Registry, store: ConfirmationStore, clock: () => Date = () => new Date()) {
    this.checks = new Counter({
      name: 'qvickly_ipn_confirmation_checks_total',
      help: 'Checks with Qvickly recorded by this instance, by the state they left the confirmation in (pending: retried later)',
      labelNames: ['state'] as const,
      registers: [registry],
    });
    this.superseded = new Counter({
      name: 'qvickly_ipn_confirmation_checks_superseded_total',
      help: 'Check results dropped because a newer callback queued another check meanwhile (or the lease was lost)',
      registers: [registry],
    });
    for (const state of STATES) this.checks.inc({ state }, 0);

    // One store read per scrape serves all three gauges.
    let reading: Promise<Awaited<ReturnType<ConfirmationStore['backlog']>> | undefined> | undefined;
    const backlog = () => {
      reading ??= store
        .backlog(clock())
        .catch(() => undefined)
        .finally(() => setImmediate(() => (reading = undefined)));
      return reading;
    };
    new Gauge({
      name: 'qvickly_ipn_confirmations_pending',
      help: 'Confirmations waiting for a check with Qvickly (due now or at a retry time)',
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) this.set(read.pending);
      },
    });
    new Gauge({
      name: 'qvickly_ipn_confirmations_due',
      help: 'Confirmations due for a check and not being checked: the backlog',
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) this.set(read.due);
      },
    });
    new Gauge({
      name: 'qvickly_ipn_confirmations_oldest_due_seconds',
      help: 'How long the oldest due confirmation has been waiting for a check (0 when none)',
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) this.set(read.oldestDueAt === null ? 0 : Math.max(0, (clock().getTime() - Date.parse(read.oldestDueAt)) / 1000));
      },
    });
  }

  checked(report: CheckReport): void {
    if (report.recorded) this.checks.inc({ state: report.confirmation.state });
    else this.superseded.inc();
  }
}
