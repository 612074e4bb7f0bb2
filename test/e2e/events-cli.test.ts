import type { PaymentStore } from '../../src/store/types';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { waitFor as readUntil } from '../support/confirmations';
import { SECRET, waitFor } from '../support/delivery-harness';
import { runCli, startServiceProcess, type ServiceProcess } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// `qvickly-ipn events list|show|redeliver` with the built CLI, against the built service
// delivering to a verifying receiver. EVENTS_RETRY_FOR=1s: a failed attempt is given up at once.

const engines = process.env.POSTGRES_UNAVAILABLE ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);

describe.each(engines)('events commands on %s', (engine) => {
  let database: TestDatabase;
  let store: PaymentStore;
  let receiver: WebhookReceiver;
  let service: ServiceProcess;
  let merchant: Merchant;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = await database.open();
    receiver = await startWebhookReceiver({ secret: SECRET });
    merchant = await aMerchant(store);
    env = database.environment;
    service = await startServiceProcess({
      ...env,
      EVENTS_WEBHOOK_URL: receiver.url,
      EVENTS_WEBHOOK_SECRET: SECRET,
      EVENTS_POLL_INTERVAL_MS: '20',
      EVENTS_TIMEOUT_MS: '10000',
      EVENTS_LEASE_MS: '30000',
      EVENTS_RETRY_FOR: '1s',
    });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
    await store?.close();
    await database?.drop();
  });

  async function paid(number: string): Promise<string> {
    const { path, init } = aCallback({ merchant, number, status: 'Paid' });
    expect((await fetch(`${service.url}${path}`, init)).status).toBe(200);
    const [event] = await readUntil(
      () => store.events.list({ companyId: merchant.companyId }),
      (events) => events.some((listed) => listed.number === number && listed.state !== 'pending'),
    );
    return String(event?.eventId);
  }
  const cli = async (...args: string[]) => runCli(args, env);

  it('events list --json and events show --json: the delivered event, its body as sent and its one attempt', async () => {
    const eventId = await paid('700001');
    const listed = await cli('events', 'list', '--company', merchant.companyId, '--state', 'delivered', '--json');
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ eventId, state: 'delivered', number: '700001', status: 'Paid', attempts: 1 })]);
    const shown = await cli('events', 'show', eventId, '--json');
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    const detail = JSON.parse(shown.stdout) as { body: string; attemptLog: Array<Record<string, unknown>> };
    expect(detail.body).toBe(receiver.deliveries.find((request) => request.eventId === eventId)?.body);
    expect(detail.attemptLog).toEqual([expect.objectContaining({ statusCode: 200, verdict: 'delivered', error: null })]);
  });

  it('events show prints the event, its body and the attempts as tables; an unknown id exits 1 on stderr', async () => {
    const eventId = await paid('700002');
    const shown = await cli('events', 'show', eventId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('delivered');
    expect(shown.stdout).toContain(`Body: {"type":"payment.status_changed"`);
    const unknown = await cli('events', 'show', 'no-such-event');
    expect([unknown.code, unknown.stdout, unknown.stderr.trim()]).toEqual([1, '', 'No event no-such-event']);
  });

  it('events redeliver <id> sends a gone event again under the same webhook-id', async () => {
    receiver.answerNext(410);
    const eventId = await paid('700003');
    expect((await store.events.show(eventId))?.state).toBe('gone');
    const redelivered = await cli('events', 'redeliver', eventId);
    expect([redelivered.code, redelivered.stdout.trim()]).toEqual([0, `Event ${eventId} queued for delivery`]);
    await waitFor(() => receiver.deliveries.some((request) => request.eventId === eventId), 'the redelivery');
    expect(receiver.requests.filter((request) => request.eventId === eventId)).toHaveLength(2);
    const after = await readUntil(() => store.events.show(eventId), (event) => event?.state === 'delivered');
    expect(after?.attemptLog.map((attempt) => attempt.statusCode)).toEqual([410, 200]);
  });

  it('events redeliver --failed --company queues every failed event of the company and says how many', async () => {
    receiver.answerNext(500, 500);
    const first = await paid('700004');
    const second = await paid('700005');
    const failed = await cli('events', 'list', '--company', merchant.companyId, '--state', 'failed', '--json');
    expect((JSON.parse(failed.stdout) as Array<{ eventId: string; lastError: string }>).map(({ eventId, lastError }) => [eventId, lastError])).toEqual([
      [second, 'HTTP 500'],
      [first, 'HTTP 500'],
    ]);
    const redelivered = await cli('events', 'redeliver', '--failed', '--company', merchant.companyId);
    expect([redelivered.code, redelivered.stdout.trim()]).toEqual([0, '2 failed events queued for delivery']);
    await waitFor(() => [first, second].every((id) => receiver.deliveries.some((request) => request.eventId === id)), 'both redelivered');
  });

  it('events redeliver refuses an unknown id, an id with --failed, and --company without --failed (exit 1)', async () => {
    const unknown = await cli('events', 'redeliver', 'no-such-event');
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'No event no-such-event']);
    const both = await cli('events', 'redeliver', 'x', '--failed');
    expect([both.code, both.stderr.trim()]).toEqual([1, 'Name one event id, or --failed (not both)']);
    const company = await cli('events', 'redeliver', 'x', '--company', merchant.companyId);
    expect([company.code, company.stderr.trim()]).toEqual([1, '--company goes with --failed']);
  });
});
