import type { Command } from 'commander';
import { loadConfig } from '../config';
import { confirmNow } from '../confirmation/confirm-now';
import { escapeForTerminal, printJson, printMissing, printTable } from './output';
import { companyIdArgument, withStore } from './context';

export function paymentCommands(program: Command): void {
  const payment = program.command('payment').description('inspect payments');
  payment
    .command('show')
    .description("a payment's current state, full history, confirmation with Qvickly and related payments")
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .argument('<number>', "Qvickly's payment number")
    .option('--json', 'machine-readable output')
    .action(async (companyId: string, number: string, options: { json?: boolean }) => {
      const found = await withStore(async (store) => {
        const shown = await store.findPayment(companyId, number);
        if (!shown) return undefined;
        const confirmation = (await store.confirmations.find(companyId, number)) ?? null;
        return { ...shown, confirmation, relatedPayments: await store.confirmations.relatedPayments(companyId, number) };
      });
      if (!found) return printMissing(`No payment ${number} for company ${companyId}`);
      if (options.json) return printJson(found);
      const { history, confirmation, relatedPayments, ...state } = found;
      printTable([state], '');
      console.log('');
      printTable(history, 'No history.');
      console.log('');
      printTable(confirmation ? [confirmation] : [], 'No confirmation with Qvickly.');
      if (relatedPayments.length > 0) console.log(`\nRelated payments: ${escapeForTerminal(relatedPayments.join(', '))}`);
    });
  payment
    .command('list')
    .description("a company's payments")
    .requiredOption('--company <companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .option('--booking <bookingId>', 'only payments of this booking')
    .option('--json', 'machine-readable output')
    .action(async (options: { company: string; booking?: string; json?: boolean }) => {
      const payments = await withStore((store) => store.listPayments(options.company, options.booking));
      if (options.json) printJson(payments);
      else printTable(payments, 'No payments.');
    });
  payment
    .command('confirm')
    .description(
      "check the payment with Qvickly's getPaymentinfo now and record the result (queued first if needed); " +
        'prints the confirmation; exit code 0 when confirmed, 1 otherwise',
    )
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .argument('<number>', "Qvickly's payment number")
    .option('--json', 'print the confirmation as JSON')
    .action(async (companyId: string, number: string, options: { json?: boolean }) => {
      const config = loadConfig();
      const report = await withStore((store) => confirmNow(store, config, { companyId, number }));
      if (report === 'no-payment') return printMissing(`No payment ${number} for company ${companyId}`);
      if (report === 'not-confirming') {
        return printMissing(`Company ${companyId} has no Qvickly merchant id, so it does not confirm payments (company set ${companyId} --merchant-id <id>)`);
      }
      const { confirmation, judgement, nextCheckAt, recorded } = report;
      if (!recorded) {
        console.error(`A newer callback queued another check of payment ${number} meanwhile; this result was not recorded (${escapeForTerminal(judgement.reason)})`);
        process.exitCode = 1;
        return;
      }
      if (options.json) printJson(confirmation);
      else {
        console.log(`Payment ${escapeForTerminal(number)}: ${confirmation.state} - ${escapeForTerminal(judgement.reason)}`);
        if (nextCheckAt) console.log(`Still pending: the service asks again at ${nextCheckAt}`);
        printTable([confirmation], '');
      }
      if (confirmation.state !== 'confirmed') process.exitCode = 1;
    });
}
