import express, { type NextFunction, type Request, type Response } from 'express';
import type { Context } from 'openapi-backend';
import type { Contract } from '../contract';
import type { Logger } from '../observability/logger';
import type { CallbackMetrics } from '../observability/metrics';
import type { CallbackStore } from '../ipn/ports';
import type { PaymentStore } from '../store/types';
import { answerForFailure, problems, type Answer } from './answers';
import { receiveCallbackRequest, type Exchange } from './callback';
import { formatNamed, negotiateFormat, type ResponseFormat } from './formats';
import { operationsHandlers } from './operations';
import { normalisePath, splitTarget } from './route';
import { writeAnswer } from './write-answer';

/** The operations of the contract that are not the callback: a listener serves some of them. */
export type OperationsEndpoint = 'getHealth' | 'getMetrics' | 'getOpenApiDocument' | 'getApiReference' | 'getEventsReference';
export const ALL_OPERATIONS: readonly OperationsEndpoint[] = ['getHealth', 'getMetrics', 'getOpenApiDocument', 'getApiReference', 'getEventsReference'];

export interface AppDependencies {
  contract: Contract;
  store: PaymentStore;
  /** Where callbacks are settled, when not `store` itself (the composition root wakes the event dispatcher through it). */
  callbackStore?: CallbackStore;
  metrics: CallbackMetrics;
  logger: Logger;
  bodyLimitBytes: number;
  /** Whether this listener takes callbacks (the public one does, an operations-only one does not). */
  callbacks: boolean;
  operations: readonly OperationsEndpoint[];
  /** express's `trust proxy`: the client address is then taken from X-Forwarded-For. */
  trustProxy?: boolean | number | string;
}

interface RequestState extends Exchange {
  format: ResponseFormat;
  pathname: string;
  /** The route is a callback operation: its answers are logged and counted. */
  callbackRoute: boolean;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The `format` query value, its name matched case-insensitively (values of one spelling joined). */
function formatParameter(rawQuery: string): string | undefined {
  if (rawQuery === '') return undefined;
  const values: string[] = [];
  for (const [key, value] of new URLSearchParams(rawQuery)) if (value !== '' && key.toLowerCase() === 'format') values.push(value);
  return values.length > 0 ? values.join(',') : undefined;
}

/**
 * The HTTP transport. Our code normalises the path; openapi-backend, over the contract, is the
 * only router; each operation returns an Answer, written once in the negotiated format.
 */
export function createApp(deps: AppDependencies): express.Express {
  const { contract, metrics, logger } = deps;
  const { api } = contract;
  const operations = operationsHandlers(deps.store, metrics);
  const receive = receiveCallbackRequest({ schema: contract.requestDto, store: deps.callbackStore ?? deps.store, bodyLimitBytes: deps.bodyLimitBytes });
  const notFound = (state: RequestState, req: Request): Answer => problems.notFound(req.method, state.pathname);

  // The router's template match is looser than its templates: `.{format}` also takes `.html`,
  // `_json` or `.CSV`. A route whose format parameter names no format is no route.
  const namesNoFormat = (operationPath: string, state: RequestState): boolean =>
    operationPath.includes('{format}') && formatNamed(state.suffix) === undefined;

  const callback = (context: Context, state: RequestState, req: Request): Promise<Answer> | Answer => {
    if (!deps.callbacks || namesNoFormat(context.operation.path, state)) return notFound(state, req);
    state.callbackRoute = true;
    return receive(state, req);
  };
  const served = (id: OperationsEndpoint) => (_context: Context, state: RequestState, req: Request) =>
    deps.operations.includes(id) ? operations[id]() : notFound(state, req);

  api.register({
    QvicklyCheckoutIpnCallBack: callback,
    QvicklyCheckoutIpnCallBackWithFormat: callback,
    getHealth: served('getHealth'),
    getMetrics: served('getMetrics'),
    getOpenApiDocument: served('getOpenApiDocument'),
    getApiReference: served('getApiReference'),
    getEventsReference: served('getEventsReference'),
    notFound: (_context: Context, state: RequestState, req: Request) => notFound(state, req),
    methodNotAllowed: (context: Context, state: RequestState, req: Request) => {
      const allowed = HTTP_METHODS.flatMap((method) => {
        const operation = api.router.matchOperation({ method, path: context.request.path, headers: {} });
        return operation ? [operation] : [];
      });
      if (allowed.every((operation) => namesNoFormat(operation.path, state))) return notFound(state, req);
      state.callbackRoute = allowed.some((operation) => operation.operationId?.startsWith('QvicklyCheckoutIpnCallBack'));
      return problems.methodNotAllowed(req.method, allowed.map((operation) => operation.method.toUpperCase()).join(', '));
    },
    notImplemented: () => problems.internal(),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);

  // One handler for every request: fewer router layers on the path every callback takes.
  app.use(async (req: Request, res: Response) => {
    // Routed on the path exactly as sent: no dot-segment or backslash resolution.
    const { pathname, rawQuery } = splitTarget(req.originalUrl);
    const { path, suffix } = normalisePath(pathname);
    const state: RequestState = {
      receivedAt: new Date(),
      startedAt: process.hrtime.bigint(),
      rawQuery,
      suffix,
      pathname,
      callbackRoute: false,
      remoteAddress: deps.trustProxy === undefined ? req.socket.remoteAddress : req.ip,
      format: negotiateFormat({ suffix, formatParam: formatParameter(rawQuery), accept: req.headers.accept }),
    };
    res.locals.state = state;
    // openapi-backend reads a leading '//' as '/'; matched as sent, such a path is no route.
    const answer = pathname.startsWith('//')
      ? notFound(state, req)
      : ((await api.handleRequest({ method: req.method, path, headers: {} }, state, req)) as Answer);
    writeAnswer(res, state.format, answer);
    answered(req, res, state);
  });

  app.use((failure: unknown, req: Request, res: Response, _next: NextFunction) => {
    const state = res.locals.state as RequestState | undefined;
    const answer = answerForFailure(failure, deps.bodyLimitBytes);
    if (answer.status >= 500) logger.error({ err: failure, method: req.method, path: state?.pathname.slice(0, 200) }, 'request not answered normally');
    // A body refused before it was read to the end is let through, so the connection stays usable.
    req.resume();
    if (res.headersSent) return res.end();
    writeAnswer(res, state?.format ?? 'json', answer);
    if (state) answered(req, res, state);
  });

  /** Metrics and the log line of a callback request, once its answer is written. */
  function answered(req: Request, res: Response, state: RequestState): void {
    if (!state.callbackRoute) return;
    const seconds = Number(process.hrtime.bigint() - state.startedAt) / 1e9;
    metrics.requestFinished(res.statusCode, seconds);
    const result = state.result;
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
