import Ajv from 'ajv';
import { CONFIRMATION_ENVIRONMENT, confirmationProblems, type ConfirmationSettings } from './confirmation/config';
import { EVENT_ENVIRONMENT, eventProblems, type EventSettings } from './events/config';

export interface Config extends ConfirmationSettings, EventSettings {
  host: string;
  port: number;
  /** A second listener for /health and /metrics only; unset = both on the public port. */
  opsHost: string;
  opsPort: number | undefined;
  databaseUrl: string | undefined;
  /** The key sealing companies' secrets; unset with SQLite = secrets.key next to the database. */
  secretsKeyFile: string | undefined;
  bodyLimitBytes: number;
  logLevel: string;
  rejectedCallbackCap: number;
  rejectedCallbackBytes: number;
  commitQueueLimit: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  maxConnections: number | undefined;
  /** express's `trust proxy` setting: true, a hop count, or addresses/subnets; unset = the socket's peer. */
  trustProxy: boolean | number | string | undefined;
}

const ENVIRONMENT = {
  HOST: { key: 'host', schema: { type: 'string', minLength: 1 }, default: '0.0.0.0' },
  PORT: { key: 'port', schema: { type: 'integer', minimum: 0, maximum: 65535 }, default: 8080 },
  OPS_HOST: { key: 'opsHost', schema: { type: 'string', minLength: 1 }, default: '127.0.0.1' },
  OPS_PORT: { key: 'opsPort', schema: { type: 'integer', minimum: 0, maximum: 65535 }, default: undefined },
  DATABASE_URL: { key: 'databaseUrl', schema: { type: 'string' }, default: undefined },
  SECRETS_KEY_FILE: { key: 'secretsKeyFile', schema: { type: 'string', minLength: 1 }, default: undefined },
  ...CONFIRMATION_ENVIRONMENT,
  ...EVENT_ENVIRONMENT,
  BODY_LIMIT_BYTES: { key: 'bodyLimitBytes', schema: { type: 'integer', minimum: 1024, maximum: 10485760 }, default: 65536 },
  LOG_LEVEL: {
    key: 'logLevel',
    schema: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
  },
  REJECTED_CALLBACK_CAP: { key: 'rejectedCallbackCap', schema: { type: 'integer', minimum: 100 }, default: 10000 },
  REJECTED_CALLBACK_BYTES: { key: 'rejectedCallbackBytes', schema: { type: 'integer', minimum: 1048576 }, default: 268435456 },
  COMMIT_QUEUE_LIMIT: { key: 'commitQueueLimit', schema: { type: 'integer', minimum: 1 }, default: 1000 },
  HEADERS_TIMEOUT_MS: { key: 'headersTimeoutMs', schema: { type: 'integer', minimum: 1000 }, default: 10000 },
  REQUEST_TIMEOUT_MS: { key: 'requestTimeoutMs', schema: { type: 'integer', minimum: 1000 }, default: 30000 },
  KEEP_ALIVE_TIMEOUT_MS: { key: 'keepAliveTimeoutMs', schema: { type: 'integer', minimum: 1000 }, default: 5000 },
  SHUTDOWN_TIMEOUT_MS: { key: 'shutdownTimeoutMs', schema: { type: 'integer', minimum: 100 }, default: 10000 },
  MAX_CONNECTIONS: { key: 'maxConnections', schema: { type: 'integer', minimum: 1 }, default: undefined },
  TRUST_PROXY: { key: 'trustProxy', schema: { type: 'string', minLength: 1, maxLength: 1000 }, default: undefined },
} as const;

const validate = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true }).compile({
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(ENVIRONMENT).map(([name, { schema, default: fallback }]) => [
      name,
      fallback === undefined ? schema : { ...schema, default: fallback },
    ]),
  ),
});

/** TRUST_PROXY as express takes it: `true`/`false`, a number of hops, or a list of addresses. */
function trustProxyOf(value: unknown): Config['trustProxy'] {
  if (typeof value !== 'string') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Reads the configuration from the environment once, failing fast with every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== '') values[name] = value;
  }
  if (!validate(values)) {
    const problems = (validate.errors ?? []).map((error) => `${error.instancePath.slice(1)} ${error.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  const config = Object.fromEntries(Object.entries(ENVIRONMENT).map(([name, { key }]) => [key, values[name]])) as unknown as Config;
  const problems = [...confirmationProblems(config), ...eventProblems(config)];
  if (problems.length > 0) throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  return { ...config, trustProxy: trustProxyOf(values.TRUST_PROXY) };
}
