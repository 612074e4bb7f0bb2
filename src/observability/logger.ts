import pino, { type Logger } from 'pino';
import SonicBoom from 'sonic-boom';

export type { Logger };

/**
 * Structured JSON logs. Callers pass only the fields they mean to log (ids, outcomes,
 * statuses, reasons), never a request, a secret or a hash; the security tests read every line
 * at trace level to hold that. (pino's redact would guard it too, at half of logging's cost.)
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'qvickly-ipn' } }, destination ?? stdout());
}

/**
 * Standard output, written off the event loop (a write in flight collects the lines behind it;
 * about 3% more callbacks per second than writing each line synchronously). Not
 * pino.destination(): that one flushes synchronously at exit, and sonic-boom's synchronous flush
 * retries a broken pipe (EPIPE) forever, so a service whose log reader went away would never
 * exit. Here a broken pipe silences the logger, and shutdown waits for flushLogs().
 */
function stdout(): SonicBoom {
  const stream = new SonicBoom({ fd: 1, sync: false });
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stream.write = () => true;
  });
  return stream;
}

/** Waits (bounded) until the log lines written so far are out, before the process exits. */
export function flushLogs(logger: Logger, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
