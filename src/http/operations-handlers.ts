import { readFile } from 'node:fs/promises';
import { readContractText } from '../contract';
import type { CallbackMetrics } from '../observability/metrics';
import { docsPath } from '../paths';
import type { PaymentStore } from '../store/types';
import type { Answer } from './answer';
import { errorResponse, HttpProblem } from './errors';

const HEALTH_TIMEOUT_MS = 2000;

// The reference is self-contained; Redoc still asks a CDN for its sidebar logo. Keep the page
// to its own origin so it works offline and leaks nothing about who reads it.
const DOCS_POLICY = "img-src 'self' data: blob:; connect-src 'self'";

function json(status: number, value: unknown): Answer {
  return { status, content: JSON.stringify(value), contentType: 'application/json; charset=utf-8' };
}

/** GET /health, /metrics, /openapi.yaml and /docs. */
export function operationsHandlers(store: PaymentStore, metrics: CallbackMetrics) {
  return {
    getHealth: async (): Promise<Answer> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
      });
      try {
        await Promise.race([store.ping(), timeout]);
        return json(200, { status: 'ok', store: 'reachable', engine: store.engine });
      } catch {
        return json(503, { status: 'unavailable', store: 'unreachable', engine: store.engine });
      } finally {
        clearTimeout(timer);
      }
    },
    getMetrics: async (): Promise<Answer> => {
      const { contentType, text } = await metrics.exposition();
      return { status: 200, content: text, contentType };
    },
    getOpenApiDocument: async (): Promise<Answer> => ({
      status: 200,
      content: readContractText(),
      contentType: 'application/yaml; charset=utf-8',
    }),
    getApiReference: async (): Promise<Answer> => {
      try {
        return {
          status: 200,
          content: await readFile(docsPath, 'utf8'),
          contentType: 'text/html; charset=utf-8',
          headers: { 'Content-Security-Policy': DOCS_POLICY },
        };
      } catch {
        throw new HttpProblem(404, errorResponse('NotFound', 'The API reference has not been built; run npm run docs'));
      }
    },
  };
}
