import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenAPIV3 } from 'openapi-types';
import { schemaValidator, type Contract } from '../../src/contract';

const isErrorResponse = schemaValidator('ErrorResponse');

// The service's router does not validate; answers are checked against the (dereferenced) schema the contract documents.
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validators = new WeakMap<object, ValidateFunction>();

function validatorOf(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
  return validate;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

const CALLBACK_ROUTE = /^\/payment\/billmate\/v1\/ipncallback(\.[a-z]+)?\/*$/i;

function pathItemFor(contract: Contract, path: string): { item?: Record<string, OpenAPIV3.OperationObject>; callback: boolean } {
  const pathname = new URL(path, 'http://x').pathname;
  const match = CALLBACK_ROUTE.exec(pathname);
  const key = match ? (match[1] ? '/payment/billmate/v1/ipncallback.{format}' : '/payment/billmate/v1/ipncallback') : pathname;
  return { item: contract.document.paths[key] as Record<string, OpenAPIV3.OperationObject> | undefined, callback: !!match };
}

/**
 * Fails unless the answer is one the contract documents: its status (or `default`), a media
 * type declared for it, and for JSON a body valid against the declared schema.

/**
 * Fails unless the answer is one the contract documents: its status (or `default`), a media
 * type declared for it, and for JSON a body valid against the declared schema.
 */
export function expectContractAnswer(contract: Contract, path: string, method: string, answer: Answer): void {
  const { item, callback } = pathItemFor(contract, path);
  // The callback operation documents every other method and path under `default`.
  const operation = item?.[method.toLowerCase()] ?? (callback ? item?.post : undefined);
  if (!operation) {
    // As the contract's introduction says: 404 for an unknown path, 405 for an undocumented method.
    expect(answer.status).toBe(item ? 405 : 404);
    if (item) expect(answer.headers.get('allow')).toBe(Object.keys(item).map((m) => m.toUpperCase()).join(', '));
    if (answer.headers.get('content-type')?.startsWith('application/json')) {
      expect(isErrorResponse(JSON.parse(answer.text))).toBe(true);
    }
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
  const schema = documented.content?.[mediaType]?.schema;
  if (mediaType === 'application/json' && schema) {
    const validate = validatorOf(schema);
    if (!validate(JSON.parse(answer.text))) {
      throw new Error(`${method} ${path} ${answer.status} breaks the contract: ${JSON.stringify(validate.errors)}`);
    }
  }
}
