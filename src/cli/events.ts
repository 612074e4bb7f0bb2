import { Option, type Command } from 'commander';
import { EVENT_STATES, type EventState, type Redelivery } from '../ipn/outbox-ports';
import { companyIdArgument, positiveInteger, withStore } from './context';
import { escapeForTerminal, printJson, printMissing, printTable } from './output';

const REDELIVERY_PROBLEM: Record<Exclude<Redelivery, 'queued'>, string> = {
  unknown: 'No event %s',
  'already-pending': 'Event %s is still pending: the service is already sending it',
  'not-sendable': 'Event %s waits for or was refused its confirmation with Qvickly (held or withheld): it is not sent',
};

export function eventsCommands(program: Command): void {
  const events = program.command('events').description('payment events for the booking system (the outbox)');
  events
    .command('list')
    .description('the newest events first')
    .option('--company <companyId>', 'only this company', companyIdArgument)
    .addOption(new Option('--state <state>', 'only this state').choices(EVENT_STATES))
    .option('--limit <n>', 'at most this many', positiveInteger, 100)
    .option('--json', 'machine-readable output')
    .action(async (options: { company?: string; state?: EventState; limit: number; json?: boolean }) => {
      const listed = await withStore((store) => store.events.list({ companyId: options.company, state: options.state, limit: options.limit }));
      if (options.json) printJson(listed);
      else printTable(listed, 'No events.');
    });
  events
    .command('show')
    .description('one event: its state, the body it is sent with and every delivery attempt')
    .argument('<eventId>', 'the event id (webhook-id)')
    .option('--json', 'machine-readable output')
    .action(async (eventId: string, options: { json?: boolean }) => {
      const found = await withStore((store) => store.events.show(eventId));
      if (!found) return printMissing(`No event ${escapeForTerminal(eventId)}`);
      if (options.json) return printJson(found);
      const { body, attemptLog, ...summary } = found;
      printTable([summary], '');
      console.log(`\nBody: ${escapeForTerminal(body)}\n`);
      printTable(attemptLog, 'No delivery attempts yet.');
    });
  events
    .command('redeliver')
    .description('send a delivered, failed or gone event again from now, with a fresh retry window; or every failed one')
    .argument('[eventId]', 'the event id (webhook-id)')
    .option('--failed', 'every failed event instead of one')
    .option('--company <companyId>', 'with --failed: only this company', companyIdArgument)
    .action(async (eventId: string | undefined, options: { failed?: boolean; company?: string }) => {
      if (options.failed === (eventId !== undefined)) return printMissing('Name one event id, or --failed (not both)');
      if (options.company && !options.failed) return printMissing('--company goes with --failed');
      if (options.failed) {
        const count = await withStore((store) => store.events.redeliverFailed(options.company, new Date()));
        console.log(`${count} failed event${count === 1 ? '' : 's'} queued for delivery`);
        return;
      }
      const result = await withStore((store) => store.events.redeliver(String(eventId), new Date()));
      if (result !== 'queued') return printMissing(REDELIVERY_PROBLEM[result].replace('%s', escapeForTerminal(String(eventId))));
      console.log(`Event ${escapeForTerminal(String(eventId))} queued for delivery`);
    });
}
