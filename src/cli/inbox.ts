import { Option, type Command } from 'commander';
import { loadContract } from '../contract';
import { CALLBACK_OUTCOMES, describeOutcome, type CallbackOutcome } from '../ipn/outcome';
import { replayCallback } from '../ipn/replay';
import { printCallbackDetails, printJson, printMissing, printTable } from './output';
import { companyIdArgument, positiveInteger, withStore } from './context';

export function inboxCommands(program: Command): void {
  const inbox = program.command('inbox').description('callbacks as received');
  inbox
    .command('list')
    .description('the newest callbacks first')
    .option('--company <companyId>', 'only this company', companyIdArgument)
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(CALLBACK_OUTCOMES))
    .option('--limit <n>', 'at most this many', positiveInteger, 100)
    .option('--json', 'machine-readable output')
    .action(async (options: { company?: string; outcome?: CallbackOutcome; limit: number; json?: boolean }) => {
      const callbacks = await withStore((store) =>
        store.listCallbacks({ companyId: options.company, outcome: options.outcome, limit: options.limit }),
      );
      const rows = callbacks.map(({ body: _body, query: _query, ...summary }) => summary);
      if (options.json) return printJson(rows);
      printTable(
        rows.map(({ callbackId, receivedAt, companyId, bookingId, number, status, outcome, reason }) => ({
          callbackId,
          receivedAt,
          companyId,
          bookingId,
          number,
          status,
          outcome,
          reason,
        })),
        'No callbacks.',
      );
    });
  inbox
    .command('show')
    .description('one callback, with its query string and body as received')
    .argument('<callbackId>', 'inbox id', positiveInteger)
    .option('--json', 'machine-readable output')
    .action(async (callbackId: number, options: { json?: boolean }) => {
      const found = await withStore((store) => store.findCallback(callbackId));
      if (!found) return printMissing(`No callback ${callbackId} in the inbox`);
      if (options.json) return printJson({ ...found, body: found.body.toString('utf8') });
      printCallbackDetails(found);
    });
  inbox
    .command('replay')
    .description('run a stored callback through the use case again (e.g. after its company secret was set)')
    .argument('<callbackId>', 'inbox id', positiveInteger)
    .option('--content-type <type>', 'decode the stored body as this Content-Type (e.g. one refused with 415)')
    .action(async (callbackId: number, options: { contentType?: string }) => {
      const { requestDto } = await loadContract();
      const replay = await withStore((store) => replayCallback(requestDto, store, callbackId, { contentType: options.contentType }));
      if (!replay.ok) return printMissing(replay.problem);
      const { result } = replay;
      console.log(`Callback ${callbackId} replayed as ${result.callbackId}: ${result.outcome} - ${describeOutcome(result)}`);
      if (result.outcome === 'unauthenticated' || result.outcome === 'booking_mismatch') process.exitCode = 1;
    });
}
