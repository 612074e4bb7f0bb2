import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureKeyFile, readKeyFile } from './key-file';
import { SECRET_KEY_BYTES } from './secret-box';

export interface KeySettings {
  secretsKeyFile: string | undefined;
  /** The store's DATABASE_URL (unset: the embedded SQLite default). */
  databaseUrl: string;
}

/**
 * The key that seals companies' secrets: SECRETS_KEY_FILE when given. Without it, the embedded
 * SQLite store keeps its key in `secrets.key` next to the database file (created 0600 on first
 * use), so the two README commands need no setup; PostgreSQL requires the setting, because every
 * instance needs the same key and a dump of the database alone must not reveal a secret.
 */
export function resolveSecretsKey(settings: KeySettings): Buffer {
  if (settings.secretsKeyFile) return readKeyFile(settings.secretsKeyFile);
  if (!settings.databaseUrl.startsWith('sqlite:')) {
    throw new Error('SECRETS_KEY_FILE is required with PostgreSQL: every instance must seal and open secrets with the same key');
  }
  const file = settings.databaseUrl.slice('sqlite:'.length);
  if (file === ':memory:') return randomBytes(SECRET_KEY_BYTES);
  return ensureKeyFile(path.join(path.dirname(path.resolve(file)), 'secrets.key'));
}
