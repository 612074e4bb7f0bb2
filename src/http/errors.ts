import type { ErrorResponse, ResponseError } from './formats/dto';
import { REQUEST_DTO_NAME } from './formats/dto';

export function errorResponse(errorCode: string, message: string, errors: ResponseError[] = []): ErrorResponse {
  return { ResponseStatus: { ErrorCode: errorCode, Message: message, Errors: errors } };
}

/** An answer other than 200, carried up to the one place that writes answers. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.ResponseStatus.Message);
    this.name = 'HttpProblem';
  }
}

export const problems = {
  unsupportedMediaType: (contentType: string) =>
    new HttpProblem(
      415,
      errorResponse(
        'UnsupportedMediaType',
        `Content-Type '${contentType}' is not supported; send application/json or application/x-www-form-urlencoded`,
      ),
    ),
  payloadTooLarge: (limitBytes: number) =>
    new HttpProblem(413, errorResponse('PayloadTooLarge', `The request body is larger than ${limitBytes} bytes`)),
  undeserializable: (mediaType: string, detail: string) =>
    new HttpProblem(
      400,
      errorResponse('SerializationException', `Could not deserialize '${mediaType}' request using ${REQUEST_DTO_NAME}\nError: ${detail}`),
    ),
  invalidRequest: (errors: ResponseError[]) => {
    const binding = errors.find((error) => error.ErrorCode === 'SerializationException');
    const first = binding ?? errors[0];
    const message = binding ? `Unable to bind to request '${REQUEST_DTO_NAME}'` : (first?.Message ?? 'Invalid request');
    return new HttpProblem(400, errorResponse(first?.ErrorCode ?? 'SerializationException', message, errors));
  },
  unauthenticated: () => new HttpProblem(401, errorResponse('Unauthorized', 'The callback could not be authenticated')),
  boundElsewhere: (message: string) => new HttpProblem(409, errorResponse('Conflict', message)),
  storeUnavailable: () =>
    new HttpProblem(503, errorResponse('ServiceUnavailable', 'The callback could not be stored; retry later')),
  methodNotAllowed: (method: string, allow: string) =>
    new HttpProblem(405, errorResponse('MethodNotAllowed', `${method} is not allowed here; use ${allow}`), { Allow: allow }),
  notFound: (method: string, path: string) =>
    new HttpProblem(404, errorResponse('NotFound', `No route matches ${method} ${path}`)),
  internal: () => new HttpProblem(500, errorResponse('InternalServerError', 'The callback could not be processed')),
};
