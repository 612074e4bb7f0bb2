import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets and hashes are never passed to the logger; the redaction is a
 * second guard in case a whole request or credentials object ever is.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'qvickly-ipn' },
      redact: {
        paths: ['secret', '*.secret', 'credentials', '*.credentials', 'hash', '*.hash', 'body', '*.body'],
        censor: '[redacted]',
      },
    },
    // Written synchronously: a line is out before the answer it describes, and a closed stdout
    // (EPIPE) only silences the logger instead of stalling the exit flush of a buffered stream.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
