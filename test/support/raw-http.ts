import net from 'node:net';

/** What came back on a raw connection: an answer, or the connection closing (or reset) without one. */
export interface RawExchange {
  /** The status of the answer, undefined when the connection ended without a complete status line. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte written to the answer's end (or the connection's). */
  ms: number;
  /** The connection was reset rather than closed (e.g. the server stopped reading a huge request). */
  reset: boolean;
}

/**
 * Sends bytes exactly as given (no URL normalisation, unlike fetch) on a fresh connection and
 * reads until the server closes it. Send `Connection: close` so a complete answer ends it.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let started = 0n;
    let reset = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      started = process.hrtime.bigint();
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
      else {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ ...parseAnswer(Buffer.concat(chunks)), ms, reset });
    });
  });
}

/** A request line and headers, with CRLFs, ending the header block; the body follows as given. */
export function requestBytes(method: string, target: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== '' || ['POST', 'PUT', 'PATCH'].includes(method)) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function parseAnswer(bytes: Buffer): Pick<RawExchange, 'status' | 'headers' | 'body'> {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = end < 0 ? '' : bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString('utf8');
  return { status: status === undefined ? undefined : Number(status), headers, body };
}

/** The value at a quantile (0..1) of the samples, by the nearest-rank method. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
