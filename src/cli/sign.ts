import { InvalidArgumentError, type Command } from 'commander';
import { signCallback } from '../client/sign';
import { phpJsonReencode } from '../ipn/php-json';
import { readSecret, type SecretOptions } from './context';

export function signCommand(program: Command): void {
  program
    .command('sign')
    .description('print a callback body signed with a secret, as Qvickly would send it; reads the secret from stdin without --secret/--secret-file')
    .option('--secret <secret>', 'the Qvickly secret (visible in the process list; prefer --secret-file or stdin)')
    .option('--secret-file <file>', 'read the secret from a file')
    .requiredOption('--data <json>', 'the callback data as JSON; signed in the given key order')
    .option('--form', 'print the form shape (credentials=…&data=…) instead of raw JSON')
    .action((options: SecretOptions & { data: string; form?: boolean }) => {
      const signedData = options.data.trim().startsWith('{') ? phpJsonReencode(options.data) : undefined;
      if (signedData === undefined) throw new InvalidArgumentError('--data must be a JSON object');
      const signed = signCallback(readSecret(options), signedData);
      console.log(options.form ? signed.formBody : signed.jsonBody);
    });
}
