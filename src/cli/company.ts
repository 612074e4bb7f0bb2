import type { Command } from 'commander';
import { printJson, printTable } from './output';
import { companyIdArgument, readSecret, withStore, type SecretOptions } from './context';

export function companyCommands(program: Command): void {
  const company = program.command('company').description("manage companies' Qvickly secrets");
  company
    .command('set')
    .description('configure (or replace) the Qvickly secret of a company; reads the secret from stdin without --secret/--secret-file')
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .option('--secret <secret>', 'the Qvickly secret (visible in the process list; prefer --secret-file or stdin)')
    .option('--secret-file <file>', 'read the secret from a file')
    .option('--merchant-id <id>', 'the Qvickly merchant id, for reference')
    .action(async (companyId: string, options: SecretOptions & { merchantId?: string }) => {
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
}
