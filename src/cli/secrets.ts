import type { Command } from 'commander';
import { generateKey, keyId, readKeyFile } from '../secrets/key-file';
import { sealerFor } from '../secrets/sealer';
import { withStore } from './context';

export function secretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('the key that seals companies\' Qvickly secrets at rest');
  secrets
    .command('keygen')
    .description('print a new key (32 random bytes, base64): save it to a file readable only by the service (chmod 600)')
    .action(() => console.log(generateKey()));
  secrets
    .command('rekey')
    .description('seal every stored secret with another key, in one transaction; then point SECRETS_KEY_FILE at that key')
    .requiredOption('--new-key-file <file>', 'the new key (as printed by secrets keygen)')
    .action(async (options: { newKeyFile: string }) => {
      const newKey = readKeyFile(options.newKeyFile);
      const companies = await withStore((store) => store.resealSecrets(sealerFor(newKey)));
      console.log(`Sealed the secrets of ${companies} companies with key ${keyId(newKey)}. Set SECRETS_KEY_FILE=${options.newKeyFile} on every instance.`);
    });
}
