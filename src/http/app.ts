import express, { type NextFunction, type Request, type Response } from 'express';
import type { Contract } from '../contract';
import type { Logger } from '../observability/logger';
import type { CallbackMetrics } from '../observability/metrics';
import { StoreUnavailableError, type PaymentStore } from '../store/types';
import { problemAnswer, writeAnswer, type Answer } from './answer';
import { callbackHandlers } from './callback-handler';
import { HttpProblem, problems } from './errors';
import type { Exchange, RouteMatch } from './exchange';
import { fieldsOfParams } from './fields';
import { RESPONSE_FORMATS } from './formats/dto';
import { negotiateFormat } from './negotiate';
import { operationsHandlers } from './operations-handlers';
import { acceptedMediaType, parseCallbackBody } from './parse-body';

export interface AppDependencies {
  contract: Contract;
  store: PaymentStore;
  metrics: CallbackMetrics;
  logger: Logger;
  bodyLimitBytes: number;
  clock?: () => Date;
}

/**
 * Routes a path as ServiceStack would: the callback path case-insensitively, trailing slashes
 * tolerated, with an optional `.format` suffix (matched exactly, so `.CSV` is no route).
 */
function routeMatcher(callbackPath: string): (pathname: string) => RouteMatch {
  const escaped = callbackPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const callbackRoute = new RegExp(`^${escaped}(?:\\.([^/]*))?/*$`, 'i');
  return (pathname) => {
    const callback = callbackRoute.exec(pathname);
    if (callback) {
      const suffix = callback[1];
      return {
        apiPath: suffix === undefined ? callbackPath : `${callbackPath}.${suffix}`,
        isCallbackRoute: true,
        suffix,
        unknownSuffix: suffix !== undefined && !RESPONSE_FORMATS.some((format) => format === suffix),
      };
    }
    return {
      apiPath: pathname.replace(/\/+$/, '').toLowerCase() || '/',
      isCallbackRoute: false,
      suffix: undefined,
      unknownSuffix: false,
    };
  };
}

/**
 * The HTTP transport: route and negotiate, read and decode the callback body, let the contract's
 * router validate and dispatch, and write every answer in the negotiated format.
 */
export function createApp(deps: AppDependencies): express.Express {
  const { contract, store, metrics, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const api = contract.api;
  const matchRoute = routeMatcher(contract.callbackPath);
  api.register({
    ...callbackHandlers(contract, store),
    ...operationsHandlers(store, metrics),
    notFound: (_context, exchange: Exchange, req: Request) => {
      throw problems.notFound(req.method, exchange.route.apiPath);
    },
    methodNotAllowed: (_context, exchange: Exchange, req: Request) => {
      const allowed = exchange.route.isCallbackRoute
        ? 'POST'
        : Object.keys(contract.document.paths[exchange.route.apiPath] ?? {})
            .map((method) => method.toUpperCase())
            .join(', ');
      throw problems.methodNotAllowed(req.method, allowed);
    },
    notImplemented: () => {
      throw problems.internal();
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);

  const readRaw = express.raw({ type: () => true, limit: deps.bodyLimitBytes, inflate: false });
  const readBody = (req: Request, res: Response): Promise<void> =>
    new Promise((resolve, reject) => readRaw(req, res, (error?: unknown) => (error ? reject(error) : resolve())));

  /** Where the request goes and in which format it is answered, from its path alone. */
  function locate(req: Request, res: Response): Exchange {
    // Routed on the path exactly as sent: no dot-segment or backslash normalisation.
    const [pathname = '/', rawQuery = ''] = req.originalUrl.split(/\?(.*)/s);
    const params = new URLSearchParams(rawQuery);
    const route = matchRoute(pathname);
    const query = fieldsOfParams(params);
    const exchange: Exchange = {
      route,
      format: negotiateFormat({ suffix: route.suffix, formatParam: query.get('format')?.text, accept: req.headers.accept }),
      receivedAt: clock(),
      startedAt: process.hrtime.bigint(),
      rawQuery,
      query,
      contentType: req.headers['content-type'],
      remoteAddress: req.socket.remoteAddress,
    };
    res.locals.exchange = exchange;
    if (route.unknownSuffix) throw problems.notFound(req.method, pathname);
    return exchange;
  }

  // One handler for every request: fewer router layers on the path every callback takes.
  app.use(async (req: Request, res: Response) => {
    const exchange = locate(req, res);
    // Only a POST to the callback route has its body read: type checked first, size bounded.
    if (req.method === 'POST' && exchange.route.isCallbackRoute) {
      exchange.mediaType = acceptedMediaType(req.headers['content-type']);
      await readBody(req, res);
      exchange.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      exchange.body = parseCallbackBody(exchange.rawBody, exchange.mediaType);
    }
    const answer = (await api.handleRequest(
      {
        method: req.method,
        path: exchange.route.apiPath,
        headers: req.headers as Record<string, string | string[]>,
        query: apiQuery(exchange, contract.queryParameterNames),
        body: exchange.body?.envelope ?? {},
      },
      exchange,
      req,
    )) as Answer;
    writeAnswer(res, exchange.format, answer);
    answered(req, res, exchange);
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const exchange = res.locals.exchange as Exchange | undefined;
    const problem = toProblem(error, deps.bodyLimitBytes);
    if (problem.status >= 500) {
      logger.error({ err: error, method: req.method, path: exchange?.route.apiPath }, 'request not answered normally');
    }
    if (res.headersSent) return res.end();
    writeAnswer(res, exchange?.format ?? 'json', problemAnswer(problem));
    if (exchange) answered(req, res, exchange);
  });

  /** Metrics and the log line of a callback request, once its answer is written. */
  function answered(req: Request, res: Response, exchange: Exchange): void {
    const seconds = Number(process.hrtime.bigint() - exchange.startedAt) / 1e9;
    if (!exchange.route.isCallbackRoute) return;
    metrics.requestFinished(res.statusCode, seconds);
    const result = exchange.result;
    if (result) metrics.callbackAnswered(result.outcome);
    logger.info(
      {
        method: req.method,
        status: res.statusCode,
        ms: Math.round(seconds * 1000 * 10) / 10,
        callbackId: result?.callbackId,
        outcome: result?.outcome,
        number: result?.number,
        paymentStatus: result?.status,
        reason: result?.reason,
      },
      'callback answered',
    );
  }

  return app;
}

/**
 * The query parameters the contract declares, under its names (matched case-insensitively).
 * Others are left out: ServiceStack ignores unknown query keys, and the router would refuse them.
 */
function apiQuery(exchange: Exchange, names: ReadonlyMap<string, string>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, field] of exchange.query) {
    const name = names.get(key);
    if (name) query[name] = field.text;
  }
  return query;
}

function toProblem(error: unknown, bodyLimitBytes: number): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof StoreUnavailableError) return problems.storeUnavailable();
  const type = (error as { type?: string } | null)?.type;
  if (type === 'entity.too.large') return problems.payloadTooLarge(bodyLimitBytes);
  if (type === 'encoding.unsupported') return problems.unsupportedMediaType('Content-Encoding');
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return problems.undeserializable('request', 'the body ended before its Content-Length');
  }
  return problems.internal();
}
