import { readFile } from 'node:fs/promises';
import { readContractText } from '../contract';
import type { CallbackMetrics } from '../observability/metrics';
import { docsPath, eventsDocsPath } from '../paths';
import type { PaymentStore } from '../store/types';
import { problems, type Answer } from './answers';

const HEALTH_TIMEOUT_MS = 2000;

// The reference is self-contained; Redoc still asks a CDN for its sidebar logo. Keep the page
// to its own origin so it works offline and leaks nothing about who reads it.
const DOCS_POLICY = "img-src 'self' data: blob:; connect-src 'self'";

function json(status: number, value: unknown): Answer {
  return { status, content: JSON.stringify(value), contentType: 'application/json; charset=utf-8' };
}

/** The store's state as /health reports it: reachable, and its last write committed. */
async function storeState(store: PaymentStore): Promise<'reachable' | 'unwritable' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
  });
  try {
    const health = await Promise.race([store.health(), timeout]);
    if (!health.reachable) return 'unreachable';
    return health.writable ? 'reachable' : 'unwritable';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** A reference page built by `npm run build` (npm run docs, docs:events). */
async function htmlReference(file: string): Promise<Answer> {
  try {
    return { status: 200, content: await readFile(file, 'utf8'), contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': DOCS_POLICY } };
  } catch {
    return problems.referenceNotBuilt();
  }
}

/** GET /health, /metrics, /openapi.yaml, /docs and /docs/events. */
export function operationsHandlers(store: PaymentStore, metrics: CallbackMetrics) {
  return {
    getHealth: async (): Promise<Answer> => {
      const state = await storeState(store);
      return json(state === 'reachable' ? 200 : 503, { status: state === 'reachable' ? 'ok' : 'unavailable', store: state, engine: store.engine });
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
    getApiReference: () => htmlReference(docsPath),
    getEventsReference: () => htmlReference(eventsDocsPath),
  };
}
