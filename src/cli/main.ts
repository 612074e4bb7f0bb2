#!/usr/bin/env node
import { Command } from 'commander';
import { serve } from '../main';
import { callbackUrlCommand } from './callback-url';
import { companyCommands } from './company';
import { withStore } from './context';
import { eventsCommands } from './events';
import { inboxCommands } from './inbox';
import { paymentCommands } from './payment';
import { secretsCommands } from './secrets';
import { signCommand } from './sign';

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
    .action(async () => {
      // Opening the store applies what is pending (the service does the same at start).
      let applied = 0;
      await withStore(
        async () => undefined,
        (migration) => {
          applied += 1;
          console.log(`Applied migration ${String(migration.version).padStart(3, '0')}-${migration.name}`);
        },
      );
      if (applied === 0) console.log('The database is up to date.');
    });
  companyCommands(program);
  paymentCommands(program);
  inboxCommands(program);
  eventsCommands(program);
  callbackUrlCommand(program);
  secretsCommands(program);
  signCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
