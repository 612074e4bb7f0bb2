import type { OpenAPIV3 } from 'openapi-types';
import type { Contract } from '../../src/contract';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

const CALLBACK_ROUTE = /^\/payment\/billmate\/v1\/ipncallback(\.[a-z]+)?\/*$/i;

function operationFor(contract: Contract, path: string, method: string): OpenAPIV3.OperationObject | undefined {
  const pathname = new URL(path, 'http://x').pathname;
  const match = CALLBACK_ROUTE.exec(pathname);
  const key = match ? (match[1] ? '/payment/billmate/v1/ipncallback.{format}' : '/payment/billmate/v1/ipncallback') : pathname;
  const item = contract.document.paths[key] as Record<string, OpenAPIV3.OperationObject> | undefined;
  // Any other method on a documented path is answered with the callback operation's `default` (405).
  return item?.[method.toLowerCase()] ?? (match ? item?.post : undefined);
}

/**
 * Fails unless the answer is one the contract documents: its status (or `default`), a media
 * type declared for it, and for JSON a body valid against the declared schema.
 */
export function expectContractAnswer(contract: Contract, path: string, method: string, answer: Answer): void {
  const operation = operationFor(contract, path, method);
  if (!operation) {
    // Paths outside the contract only ever get the documented ErrorResponse (404).
    expect(answer.status).toBe(404);
    return;
  }
  const responses = operation.responses as Record<string, OpenAPIV3.ResponseObject>;
  const documented = responses[String(answer.status)] ?? responses.default;
  if (!documented) throw new Error(`${method} ${path} answered ${answer.status}, which the contract does not document`);
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const declared = Object.keys(documented.content ?? {});
  if (!declared.includes(mediaType)) {
    throw new Error(`${method} ${path} answered ${answer.status} as '${mediaType}', the contract declares ${declared.join(', ')}`);
  }
  if (mediaType === 'application/json' && operation.operationId) {
    // With a status, openapi-backend picks that response's schema, or `default`.
    const result = contract.api.validateResponse(JSON.parse(answer.text), operation.operationId, answer.status);
    if (result.errors) {
      throw new Error(`${method} ${path} ${answer.status} breaks the contract: ${JSON.stringify(result.errors)}`);
    }
  }
}
