import { loadConfig } from '../../src/config';

describe('the confirmation settings', () => {
  it('default to Qvickly\'s API, a 10 s timeout, 4 checks at once, 1 s polls, 60 s leases and retries from 10 s to 1 h for 3 days', () => {
    const config = loadConfig({});
    expect({
      url: config.qvicklyApiUrl,
      timeout: config.qvicklyApiTimeoutMs,
      concurrency: config.confirmationConcurrency,
      poll: config.confirmationPollIntervalMs,
      lease: config.confirmationLeaseMs,
      retry: [config.confirmationRetryFirstMs, config.confirmationRetryMaxMs, config.confirmationRetryForMs],
    }).toEqual({ url: 'https://api.qvickly.io/', timeout: 10_000, concurrency: 4, poll: 1000, lease: 60_000, retry: [10_000, 3_600_000, 259_200_000] });
  });

  it('read numbers from the environment, 0 checks at once included', () => {
    const config = loadConfig({ QVICKLY_API_URL: 'http://127.0.0.1:4011/', CONFIRMATION_CONCURRENCY: '0', CONFIRMATION_RETRY_FOR_MS: '0' });
    expect([config.qvicklyApiUrl, config.confirmationConcurrency, config.confirmationRetryForMs]).toEqual(['http://127.0.0.1:4011/', 0, 0]);
  });

  it.each([
    [{ QVICKLY_API_URL: 'api.qvickly.io' }, 'QVICKLY_API_URL must be an absolute URL'],
    [{ QVICKLY_API_URL: 'ftp://api.qvickly.io/' }, 'QVICKLY_API_URL must be an http or https URL'],
    [{ QVICKLY_API_TIMEOUT_MS: '60000' }, 'CONFIRMATION_LEASE_MS must be longer than QVICKLY_API_TIMEOUT_MS'],
    [{ CONFIRMATION_RETRY_FIRST_MS: '5000', CONFIRMATION_RETRY_MAX_MS: '4000' }, 'CONFIRMATION_RETRY_MAX_MS must not be below CONFIRMATION_RETRY_FIRST_MS'],
    [{ CONFIRMATION_CONCURRENCY: '-1' }, 'CONFIRMATION_CONCURRENCY must be >= 0'],
    [{ CONFIRMATION_POLL_INTERVAL_MS: 'soon' }, 'CONFIRMATION_POLL_INTERVAL_MS must be integer'],
  ])('refuse %p at start: %s', (environment, problem) => {
    expect(() => loadConfig(environment)).toThrow(problem);
  });
});
