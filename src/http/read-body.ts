import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

/**
 * The body's bytes as sent, up to the limit: never decoded or inflated here, because the inbox
 * keeps them exactly and the decoder decides what they mean. Over the limit is a 413
 * ('entity.too.large'); a body that ends early is 'request.aborted'.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = request.headers['content-length'];
  return getRawBody(request, { limit: limitBytes, length: declared === undefined ? undefined : Number(declared) });
}
