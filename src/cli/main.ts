#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { signCallback } from '../client/sign';
import { loadConfig } from '../config';
import { loadContract, schemaValidator } from '../contract';
import { CALLBACK_OUTCOMES, describeOutcome, type CallbackOutcome } from '../ipn/outcome';
import { phpJsonReencode } from '../ipn/php-json';
import { serve } from '../main';
import { openStore } from '../store/open';
import type { PaymentStore } from '../store/types';
import { printJson, printMissing, printTable } from './output';
import { replayCallback } from './replay';

let isCompanyId: ((value: unknown) => boolean) | undefined;

function companyIdArgument(value: string): string {
  isCompanyId ??= schemaValidator('CompanyId');
  if (!isCompanyId(value)) throw new InvalidArgumentError('must be a UUID like 7c9e6679-7425-40de-944b-e07fc1f90ae7');
  return value.toLowerCase();
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

async function withStore<T>(work: (store: PaymentStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, rejectedCallbackCap: config.rejectedCallbackCap });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function readSecret(options: { secret?: string; secretFile?: string }): string {
  const raw =
    options.secret ?? (options.secretFile !== undefined ? readFileSync(options.secretFile, 'utf8') : readFileSync(0, 'utf8'));
  const secret = raw.replace(/\r?\n$/, '');
  if (secret.length === 0) throw new InvalidArgumentError('the secret is empty');
  return secret;
}

export function buildProgram(): Command {
  const program = new Command('qvickly-ipn')
    .description('Receives Qvickly Checkout 1.0 payment callbacks for BokaMera; operator commands.')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('serve')
    .description('run the HTTP service (PORT, DATABASE_URL, ... from the environment)')
    .action(async () => serve());

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => withStore(async (store) => store.migrate()));

  const company = program.command('company').description("manage companies' Qvickly secrets");
  company
    .command('set')
    .description('configure (or replace) the Qvickly secret of a company; reads the secret from stdin without --secret/--secret-file')
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .option('--secret <secret>', 'the Qvickly secret (visible in the process list; prefer --secret-file or stdin)')
    .option('--secret-file <file>', 'read the secret from a file')
    .option('--merchant-id <id>', 'the Qvickly merchant id, for reference')
    .action(async (companyId: string, options: { secret?: string; secretFile?: string; merchantId?: string }) => {
      const secret = readSecret(options);
      await withStore((store) => store.setCompany(companyId, secret, options.merchantId ?? null, new Date().toISOString()));
      console.log(`Secret set for company ${companyId}`);
    });
  company
    .command('list')
    .description('list configured companies (never their secrets)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const companies = await withStore((store) => store.listCompanies());
      if (options.json) printJson(companies);
      else printTable(companies, 'No companies configured.');
    });

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
      if (options.json) printJson(rows);
      else
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
      const shown = { ...found, body: found.body.toString('utf8') };
      if (options.json) return printJson(shown);
      for (const [key, value] of Object.entries(shown)) console.log(`${key.padEnd(14)} ${value ?? '-'}`);
    });
  inbox
    .command('replay')
    .description('run a stored callback through the use case again (e.g. after its company secret was set)')
    .argument('<callbackId>', 'inbox id', positiveInteger)
    .action(async (callbackId: number) => {
      const contract = await loadContract();
      const replay = await withStore((store) => replayCallback(contract, store, callbackId));
      if (!replay.ok) return printMissing(replay.problem);
      const { result } = replay;
      console.log(`Callback ${callbackId} replayed as ${result.callbackId}: ${result.outcome} - ${describeOutcome(result)}`);
      if (result.outcome === 'unauthenticated' || result.outcome === 'booking_mismatch') process.exitCode = 1;
    });

  program
    .command('sign')
    .description('print a callback body signed with a secret, as Qvickly would send it')
    .requiredOption('--secret <secret>', 'the Qvickly secret')
    .requiredOption('--data <json>', 'the callback data as JSON; signed in the given key order')
    .option('--form', 'print the form shape (credentials=…&data=…) instead of raw JSON')
    .action((options: { secret: string; data: string; form?: boolean }) => {
      const signedData = options.data.trim().startsWith('{') ? phpJsonReencode(options.data) : undefined;
      if (signedData === undefined) throw new InvalidArgumentError('--data must be a JSON object');
      const signed = signCallback(options.secret, signedData);
      console.log(options.form ? signed.formBody : signed.jsonBody);
    });

  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}
