import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * How the receiver answers one request:
 * - `ok`: 200, the event is delivered;
 * - 500, 429, 410: that status;
 * - `slow`: answers 200 only after `slowMs` (longer than the sender's timeout), unless the
 *   sender hangs up first, which it does;
 * - `destroy`: starts a 200 answer, then destroys the connection before its body is complete;
 * - `hold`: answers 200 when the test calls release().
 * A receiver that is `down()` refuses connections altogether.
 */
export type Fault = 'ok' | 500 | 429 | 410 | 'slow' | 'destroy' | 'hold';

export interface ReceivedRequest {
  eventId: string;
  /** The webhook-timestamp header, in seconds. */
  timestamp: number;
  body: string;
  contentType: string | undefined;
  /** Webhook.verify accepted it (at the receiver's clock). */
  verifiedByLibrary: boolean;
  /** The HMAC computed here with node:crypto matched, and the timestamp is within 5 minutes. */
  verifiedIndependently: boolean;
  fault: Fault;
  /** True once a complete 2xx answer was written: the request counts as a delivery. */
  answered2xx: boolean;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  /** The requests answered with a complete 2xx, in the order the answers were written. */
  readonly deliveries: readonly ReceivedRequest[];
  /** Requests being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Requests waiting for release(). */
  readonly held: number;
  /** How every request is answered unless a queued fault applies (initially `ok`). */
  answer(fault: Fault | ((request: ReceivedRequest) => Fault)): void;
  /** The next requests, one fault each, whatever their event. */
  answerNext(...faults: Fault[]): void;
  /** The next requests for this event, one fault each (before answerNext's). */
  answerFor(eventId: string, ...faults: Fault[]): void;
  /** Answers the requests held by `hold`. */
  release(): void;
  /** Stops listening and drops every connection: the sender gets ECONNREFUSED. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  secret: string;
  /** The receiver's clock for the timestamp check: the test's clock, so retries hours apart verify. */
  now?: () => Date;
  slowMs?: number;
}

const TOLERANCE_SECONDS = 5 * 60;

/** An HMAC check written from the Standard Webhooks spec, sharing no code with the library. */
export function verifyIndependently(secret: string, id: string, timestamp: string, signatures: string, body: Buffer, now: Date): boolean {
  const seconds = Number(timestamp);
  if (!/^[0-9]+$/.test(timestamp) || Math.abs(now.getTime() / 1000 - seconds) > TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
    .digest();
  return signatures.split(' ').some((versioned) => {
    const [version, signature] = versioned.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Webhook.verify reads Date.now() for its 5-minute window; run it at the receiver's clock. */
function verifyWithLibrary(webhook: Webhook, body: string, headers: Record<string, string>, now: Date): boolean {
  const realNow = Date.now;
  Date.now = () => now.getTime();
  try {
    webhook.verify(body, headers);
    return true;
  } catch {
    return false;
  } finally {
    Date.now = realNow;
  }
}

function header(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

/** A booking system's endpoint on 127.0.0.1, for tests: verifies, records and misbehaves on demand. */
export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const webhook = new Webhook(options.secret);
  const now = options.now ?? (() => new Date());
  const slowMs = options.slowMs ?? 60_000;
  const requests: ReceivedRequest[] = [];
  const deliveries: ReceivedRequest[] = [];
  const nextFaults: Fault[] = [];
  const eventFaults = new Map<string, Fault[]>();
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  let policy: Fault | ((request: ReceivedRequest) => Fault) = 'ok';
  let inFlight = 0;
  let maxInFlight = 0;

  function faultFor(request: ReceivedRequest): Fault {
    const forEvent = eventFaults.get(request.eventId);
    if (forEvent && forEvent.length > 0) return forEvent.shift() as Fault;
    if (nextFaults.length > 0) return nextFaults.shift() as Fault;
    return typeof policy === 'function' ? policy(request) : policy;
  }

  function answerOk(request: ReceivedRequest, response: ServerResponse): void {
    response.once('finish', () => {
      request.answered2xx = true;
      deliveries.push(request);
    });
    response.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('ok');
  }

  function respond(request: ReceivedRequest, incoming: IncomingMessage, response: ServerResponse): void {
    if (!request.verifiedByLibrary || !request.verifiedIndependently) {
      response.writeHead(400, { connection: 'close' }).end('bad signature');
      return;
    }
    const fault = request.fault;
    switch (fault) {
      case 'ok':
        return answerOk(request, response);
      case 500:
      case 429:
      case 410:
        response.writeHead(fault, { 'content-type': 'text/plain', connection: 'close' }).end(`answer ${fault}`);
        return;
      case 'slow': {
        const timer = setTimeout(() => answerOk(request, response), slowMs);
        incoming.socket.once('close', () => clearTimeout(timer));
        return;
      }
      case 'destroy':
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '64', connection: 'close' });
        response.write('{"received":', () => incoming.socket.destroy());
        return;
      case 'hold':
        held.push(() => answerOk(request, response));
        return;
    }
  }

  const server = createServer((incoming, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    const done = (): void => {
      if (counted) inFlight -= 1;
      counted = false;
    };
    // 'finish' (the answer is handed to the OS) comes before the sender can read it, so a
    // sender that starts its next request after an answer never finds the old one counted.
    response.once('finish', done);
    response.once('close', done);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const headers = {
        'webhook-id': header(incoming, 'webhook-id'),
        'webhook-timestamp': header(incoming, 'webhook-timestamp'),
        'webhook-signature': header(incoming, 'webhook-signature'),
      };
      const at = now();
      const request: ReceivedRequest = {
        eventId: headers['webhook-id'],
        timestamp: Number(headers['webhook-timestamp']),
        body,
        contentType: incoming.headers['content-type'],
        verifiedByLibrary: verifyWithLibrary(webhook, body, headers, at),
        verifiedIndependently: verifyIndependently(
          options.secret,
          headers['webhook-id'],
          headers['webhook-timestamp'],
          headers['webhook-signature'],
          raw,
          at,
        ),
        fault: 'ok',
        answered2xx: false,
      };
      request.fault = faultFor(request);
      requests.push(request);
      respond(request, incoming, response);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/events`,
    requests,
    deliveries,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get held() {
      return held.length;
    },
    answer(fault) {
      policy = fault;
    },
    answerNext(...faults) {
      nextFaults.push(...faults);
    },
    answerFor(eventId, ...faults) {
      eventFaults.set(eventId, [...(eventFaults.get(eventId) ?? []), ...faults]);
    },
    release() {
      for (const answer of held.splice(0)) answer();
    },
    down: stop,
    up: () => listen(port),
    close: stop,
  };
}
