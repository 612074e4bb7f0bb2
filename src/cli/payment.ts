import type { Command } from 'commander';
import { printJson, printMissing, printTable } from './output';
import { companyIdArgument, withStore } from './context';

export function paymentCommands(program: Command): void {
  const payment = program.command('payment').description('inspect payments');
  payment
    .command('show')
    .description("a payment's current state and full history")
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .argument('<number>', "Qvickly's payment number")
    .option('--json', 'machine-readable output')
    .action(async (companyId: string, number: string, options: { json?: boolean }) => {
      const found = await withStore((store) => store.findPayment(companyId, number));
      if (!found) return printMissing(`No payment ${number} for company ${companyId}`);
      if (options.json) return printJson(found);
      const { history, ...state } = found;
      printTable([state], '');
      console.log('');
      printTable(history, 'No history.');
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
}
