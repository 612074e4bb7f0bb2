import net from 'node:net';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const ROUTE = '/payment/billmate/v1/ipncallback';
const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 3000;
const KEEP_ALIVE_TIMEOUT_MS = 2000;
// Node checks header and request timeouts every 500 ms here (30 s by default): each fires within
// 500 ms of its setting; the rest is slack for a loaded machine.
const CUT_WITHIN_MS = 1000;

/** A raw connection: what it received, and when it was closed by the server. */
interface Connection {
  socket: net.Socket;
  received: () => string;
  /** Resolves with the ms from `since` (default: connected) to the close. */
  closed: Promise<number>;
  mark: () => void;
}

function connect(port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    let since = Date.now();
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - since)));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset is a close too
    socket.once('connect', () => {
      since = Date.now();
      resolve({ socket, received: () => received, closed, mark: () => (since = Date.now()) });
    });
    socket.once('error', reject);
  });
}

/** Waits until the connection has received a complete answer to a request without a body. */
async function answered(connection: Connection): Promise<string> {
  for (let waited = 0; waited < 5000; waited += 10) {
    const text = connection.received();
    const end = text.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
    if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) return text;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no complete answer: ${JSON.stringify(connection.received())}`);
}

const portOf = (url: string) => Number(new URL(url).port);

describeStore('slow clients are cut off at the configured limits', () => {
  const context = useServiceOnFreshStore({
    environment: {
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    },
  });

  it(`answers 408 and closes a connection that stalls half-way through its headers within ${CUT_WITHIN_MS} ms after HEADERS_TIMEOUT_MS`, async () => {
    const connection = await connect(portOf(context.service.url));
    connection.socket.write(`POST ${ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl`);
    const ms = await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(ms).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + CUT_WITHIN_MS);
  });

  it(`answers 408 and closes a connection whose body stalls within ${CUT_WITHIN_MS} ms after REQUEST_TIMEOUT_MS`, async () => {
    const connection = await connect(portOf(context.service.url));
    connection.socket.write(`POST ${ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"data":`);
    const ms = await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(ms).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + CUT_WITHIN_MS);
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS (plus the 1 s Node adds over the advertised timeout)', async () => {
    const connection = await connect(portOf(context.service.url));
    connection.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const answer = await answered(connection);
    connection.mark();
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(new RegExp(`\\r\\nKeep-Alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}\\r\\n`, 'i'));
    const ms = await connection.closed;
    // Node keeps the socket 1 s longer than it advertises, so a client never reuses one being closed.
    expect(ms).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(ms).toBeLessThanOrEqual(KEEP_ALIVE_TIMEOUT_MS + 1000 + 700);
  });
});

describeStore('MAX_CONNECTIONS', () => {
  const MAX = 5;
  const context = useServiceOnFreshStore({ environment: { MAX_CONNECTIONS: String(MAX), KEEP_ALIVE_TIMEOUT_MS: '10000' } });

  it(`closes a ${MAX + 1}th concurrent connection at once while ${MAX} are open, and serves a new one once one closes`, async () => {
    const port = portOf(context.service.url);
    const open: Connection[] = [];
    for (let index = 0; index < MAX; index++) {
      const connection = await connect(port);
      connection.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect(await answered(connection)).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      open.push(connection);
    }

    const extra = await connect(port);
    extra.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const ms = await extra.closed;
    expect([extra.received(), ms < 1000]).toEqual(['', true]);

    // The open ones are still served.
    const [first, ...others] = open;
    first?.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(first?.received().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);

    first?.socket.destroy();
    await first?.closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await connect(port);
    next.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(await answered(next)).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    for (const connection of [...others, next]) connection.socket.destroy();
  });
});
