import Ajv from 'ajv';

export interface Config {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  bodyLimitBytes: number;
  logLevel: string;
  rejectedCallbackCap: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
}

const ENVIRONMENT = {
  HOST: { key: 'host', schema: { type: 'string', minLength: 1 }, default: '0.0.0.0' },
  PORT: { key: 'port', schema: { type: 'integer', minimum: 0, maximum: 65535 }, default: 8080 },
  DATABASE_URL: { key: 'databaseUrl', schema: { type: 'string' }, default: undefined },
  BODY_LIMIT_BYTES: { key: 'bodyLimitBytes', schema: { type: 'integer', minimum: 1024, maximum: 10485760 }, default: 65536 },
  LOG_LEVEL: {
    key: 'logLevel',
    schema: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
  },
  REJECTED_CALLBACK_CAP: { key: 'rejectedCallbackCap', schema: { type: 'integer', minimum: 100 }, default: 10000 },
  HEADERS_TIMEOUT_MS: { key: 'headersTimeoutMs', schema: { type: 'integer', minimum: 1000 }, default: 10000 },
  REQUEST_TIMEOUT_MS: { key: 'requestTimeoutMs', schema: { type: 'integer', minimum: 1000 }, default: 30000 },
  KEEP_ALIVE_TIMEOUT_MS: { key: 'keepAliveTimeoutMs', schema: { type: 'integer', minimum: 1000 }, default: 5000 },
  SHUTDOWN_TIMEOUT_MS: { key: 'shutdownTimeoutMs', schema: { type: 'integer', minimum: 100 }, default: 10000 },
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
  return Object.fromEntries(
    Object.entries(ENVIRONMENT).map(([name, { key }]) => [key, values[name]]),
  ) as unknown as Config;
}
