import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDuration } from '../secrets/duration';
import { companyIdArgument, secretFrom, withStore, type SecretOptions } from './context';
import { printJson, printTable } from './output';

interface SetOptions extends SecretOptions {
  merchantId?: string;
  test?: boolean;
  callbackUrls?: 'signed' | 'any';
  keepPreviousFor?: number;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function companyCommands(program: Command): void {
  const company = program.command('company').description("manage companies' Qvickly accounts");
  company
    .command('set')
    .description(
      'create or change a company; each option changes only what it names. The secret comes from --secret-file, ' +
        'or standard input when it is not a terminal (an empty input keeps the current secret); a new company needs one',
    )
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .option('--secret <secret>', 'the Qvickly secret (visible in the process list; prefer --secret-file or stdin)')
    .option('--secret-file <file>', 'read the secret from a file')
    .option('--keep-previous-for <duration>', 'with a new secret: the replaced one keeps verifying for this long (e.g. 30d)', duration)
    .option('--merchant-id <id>', "the company's Qvickly merchant id (turns on confirmation with Qvickly)")
    .option('--test', 'the Qvickly account is a test account')
    .option('--no-test', 'the Qvickly account is a live account')
    .addOption(new Option('--callback-urls <policy>', 'accept only signed callback URLs, or unsigned ones too').choices(['signed', 'any']))
    .action(async (companyId: string, options: SetOptions) => {
      const secret = secretFrom(options);
      const now = new Date();
      if (options.keepPreviousFor !== undefined && secret === undefined) {
        throw new InvalidArgumentError('--keep-previous-for needs a new secret');
      }
      const outcome = await withStore((store) =>
        store.changeCompany({
          companyId,
          now: now.toISOString(),
          secret,
          keepPreviousUntil: options.keepPreviousFor === undefined ? undefined : new Date(now.getTime() + options.keepPreviousFor).toISOString(),
          merchantId: options.merchantId,
          test: options.test,
          callbackUrls: options.callbackUrls,
        }),
      );
      console.log(`Company ${companyId} ${outcome}`);
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
}

