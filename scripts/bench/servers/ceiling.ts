import express from 'express';
import type { Context } from 'openapi-backend';
import { loadContract } from '../../../src/contract';

const OK = { Message: 'ok', Success: true };

interface Answer {
  status: number;
  body: unknown;
}

/**
 * Benchmark target (b), the framework ceiling: express + openapi-backend routing and validating
 * against our contract exactly as the service does, with a callback handler that does nothing.
 * No binding, no signature check, no store: what is left when the service's own work is zero.
 */
async function main(): Promise<void> {
  const contract = await loadContract();
  const ok = (): Answer => ({ status: 200, body: OK });
  contract.api.register({
    QvicklyCheckoutIpnCallBack: ok,
    QvicklyCheckoutIpnCallBackWithFormat: ok,
    validationFail: (context: Context): Answer => ({ status: 400, body: { errors: context.validation.errors } }),
    notFound: (): Answer => ({ status: 404, body: { Message: 'not found' } }),
    methodNotAllowed: (): Answer => ({ status: 405, body: { Message: 'method not allowed' } }),
    notImplemented: (): Answer => ({ status: 501, body: { Message: 'not implemented' } }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  // Raw bytes parsed once, as the service does (it keeps them for the signature and the inbox).
  app.use(express.raw({ type: () => true, limit: 65536, inflate: false }));
  app.use(async (req, res) => {
    const url = new URL(req.originalUrl, 'http://localhost');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let body: unknown = {};
    try {
      if (raw.length > 0) body = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).json({ Message: 'malformed JSON' });
      return;
    }
    const answer = (await contract.api.handleRequest({
      method: req.method,
      path: url.pathname,
      headers: req.headers as Record<string, string | string[]>,
      query: Object.fromEntries(url.searchParams),
      body,
    })) as Answer;
    res.status(answer.status).json(answer.body);
  });

  app.listen(Number(process.env.PORT), '127.0.0.1');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
