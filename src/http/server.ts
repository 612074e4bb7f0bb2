import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Most open connections; further ones are closed at once. */
  maxConnections?: number;
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes. */
  stop(): Promise<void>;
}

// Node checks header and request timeouts on a timer (30 s by default), so a 10 s limit would
// fire at up to 40 s. Checked twice a second, each fires within a second of its setting.
const TIMEOUT_CHECK_INTERVAL_MS = 500;

/** Listens with explicit limits; port 0 picks a free port (tests). */
export async function listen(app: express.Express, host: string, port: number, limits: ServerLimits): Promise<RunningServer> {
  const server = http.createServer(
    {
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
    },
    app,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxHeadersCount = 100;
  if (limits.maxConnections !== undefined) server.maxConnections = limits.maxConnections;
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    server,
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), limits.shutdownTimeoutMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
