import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request answered 200 and finished: an event delivered. */
export interface Delivery {
  eventId: string;
  type: string;
  number: string;
  callbackId: number | null;
  /** data.occurredAt, in ms since the epoch. */
  occurredAtMs: number;
  /** When the 200 answer was handed to the OS, in ms since the epoch. */
  arrivedAtMs: number;
}

export interface VerifyingReceiver {
  url: string;
  secret: string;
  /** In the order the 200 answers were written. */
  readonly deliveries: readonly Delivery[];
  /** Requests answered 500 on purpose, and requests whose signature did not verify (answered 400). */
  readonly refused: number;
  readonly badSignatures: string[];
  close(): Promise<void>;
}

export interface VerifyingReceiverOptions {
  /** Share of requests answered 500 (drawn from `random`), so the service retries; 0 = none. */
  failShare?: number;
  random?: () => number;
}

/** A fresh Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export function aWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The booking system's endpoint for scripts, on 127.0.0.1 and a random port: verifies each
 * request's signature with the standardwebhooks library, answers 200 (or 500 to `failShare` of
 * them) and records each delivery with its arrival time.
 */
export async function startVerifyingReceiver(options: VerifyingReceiverOptions = {}): Promise<VerifyingReceiver> {
  const secret = aWebhookSecret();
  const webhook = new Webhook(secret);
  const failShare = options.failShare ?? 0;
  const random = options.random ?? Math.random;
  const deliveries: Delivery[] = [];
  const badSignatures: string[] = [];
  let refused = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(incoming.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(incoming.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(incoming.headers['webhook-signature'] ?? ''),
      };
      let event: { type: string; data: { eventId: string; number: string; callbackId: number | null; occurredAt: string } };
      try {
        event = webhook.verify(body, headers) as typeof event;
      } catch (error) {
        badSignatures.push(`${headers['webhook-id']}: ${(error as Error).message}`);
        response.writeHead(400, { connection: 'close' }).end('bad signature');
        return;
      }
      if (event.data.eventId !== headers['webhook-id']) badSignatures.push(`${headers['webhook-id']}: data.eventId is ${event.data.eventId}`);
      if (failShare > 0 && random() < failShare) {
        refused += 1;
        response.writeHead(500, { connection: 'close' }).end('try again');
        return;
      }
      response.once('finish', () =>
        deliveries.push({
          eventId: headers['webhook-id'],
          type: event.type,
          number: event.data.number,
          callbackId: event.data.callbackId,
          occurredAtMs: Date.parse(event.data.occurredAt),
          arrivedAtMs: Date.now(),
        }),
      );
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    secret,
    deliveries,
    get refused() {
      return refused;
    },
    badSignatures,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
