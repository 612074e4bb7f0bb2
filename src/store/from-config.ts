import type { Config } from '../config';
import { resolveSecretsKey } from '../secrets/store-key';
import type { Migration } from './migrate';
import { databaseUrlOf, openStore } from './open';
import type { PaymentStore } from './types';

/** The store the configuration names, with its secrets key, as the service and the CLI open it. */
export function openConfiguredStore(config: Config, onMigration?: (migration: Migration) => void): Promise<PaymentStore> {
  return openStore({
    databaseUrl: config.databaseUrl,
    retention: { rows: config.rejectedCallbackCap, bytes: config.rejectedCallbackBytes },
    secretsKey: resolveSecretsKey({ secretsKeyFile: config.secretsKeyFile, databaseUrl: databaseUrlOf(config.databaseUrl) }),
    commitQueueLimit: config.commitQueueLimit,
    onMigration,
  });
}
