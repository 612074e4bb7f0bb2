/** The configuration of confirmation with Qvickly (part of Config, read by src/config.ts). */
export interface ConfirmationSettings {
  /** Qvickly's Payment API (QVICKLY_API_URL). */
  qvicklyApiUrl: string;
  qvicklyApiTimeoutMs: number;
  /** Checks in flight at once in this instance; 0 = this instance does not check. */
  confirmationConcurrency: number;
  confirmationPollIntervalMs: number;
  confirmationLeaseMs: number;
  confirmationRetryFirstMs: number;
  confirmationRetryMaxMs: number;
  confirmationRetryForMs: number;
}

export const CONFIRMATION_ENVIRONMENT = {
  QVICKLY_API_URL: { key: 'qvicklyApiUrl', schema: { type: 'string', minLength: 1, maxLength: 2048 }, default: 'https://api.qvickly.io/' },
  QVICKLY_API_TIMEOUT_MS: { key: 'qvicklyApiTimeoutMs', schema: { type: 'integer', minimum: 100, maximum: 300000 }, default: 10000 },
  CONFIRMATION_CONCURRENCY: { key: 'confirmationConcurrency', schema: { type: 'integer', minimum: 0, maximum: 256 }, default: 4 },
  CONFIRMATION_POLL_INTERVAL_MS: { key: 'confirmationPollIntervalMs', schema: { type: 'integer', minimum: 10, maximum: 3600000 }, default: 1000 },
  CONFIRMATION_LEASE_MS: { key: 'confirmationLeaseMs', schema: { type: 'integer', minimum: 1000, maximum: 86400000 }, default: 60000 },
  CONFIRMATION_RETRY_FIRST_MS: { key: 'confirmationRetryFirstMs', schema: { type: 'integer', minimum: 10, maximum: 86400000 }, default: 10000 },
  CONFIRMATION_RETRY_MAX_MS: { key: 'confirmationRetryMaxMs', schema: { type: 'integer', minimum: 10, maximum: 604800000 }, default: 3600000 },
  CONFIRMATION_RETRY_FOR_MS: { key: 'confirmationRetryForMs', schema: { type: 'integer', minimum: 0, maximum: 31536000000 }, default: 259200000 },
} as const;

/** What the schema cannot say: one setting against another, and the URL. */
export function confirmationProblems(settings: ConfirmationSettings): string[] {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(settings.qvicklyApiUrl);
  } catch {
    problems.push('QVICKLY_API_URL must be an absolute URL');
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('QVICKLY_API_URL must be an http or https URL');
  if (settings.confirmationLeaseMs <= settings.qvicklyApiTimeoutMs) {
    problems.push('CONFIRMATION_LEASE_MS must be longer than QVICKLY_API_TIMEOUT_MS (a lease must outlast a request to Qvickly)');
  }
  if (settings.confirmationRetryMaxMs < settings.confirmationRetryFirstMs) problems.push('CONFIRMATION_RETRY_MAX_MS must not be below CONFIRMATION_RETRY_FIRST_MS');
  return problems;
}
