import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import OpenAPIBackend, { type Document } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import { contractPath } from './paths';

export type SchemaObject = OpenAPIV3.SchemaObject;

/** The contract, loaded and routed: the one source of field names, types and limits. */
export interface Contract {
  api: OpenAPIBackend;
  document: OpenAPIV3.Document;
  /** The bound request DTO's schema (QvicklyCheckoutIpnCallBack), references resolved. */
  requestDtoSchema: SchemaObject;
  validateRequestDto: ValidateFunction;
  /** Every query parameter name the contract declares, by its lower-cased form. */
  queryParameterNames: ReadonlyMap<string, string>;
  /** The path of the callback operation (QvicklyCheckoutIpnCallBack). */
  callbackPath: string;
}

let contractText: string | undefined;

/** The contract as the service publishes it at GET /openapi.yaml. */
export function readContractText(): string {
  contractText ??= readFileSync(contractPath, 'utf8');
  return contractText;
}

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  return ajv;
}

/** A validator for one of the contract's component schemas, without starting a router. */
export function schemaValidator(name: string): ValidateFunction {
  const ajv = withFormats(new Ajv({ allErrors: true, strict: false }));
  ajv.addSchema(yaml.load(readContractText()) as object, 'contract');
  const validate = ajv.getSchema(`contract#/components/schemas/${name}`);
  if (!validate) throw new Error(`The contract has no schema ${name}`);
  return validate;
}

/** Loads openapi/openapi.yaml into a fresh openapi-backend router and compiles the DTO validator. */
export async function loadContract(): Promise<Contract> {
  const definition = yaml.load(readContractText()) as Document;
  const api = new OpenAPIBackend({
    definition,
    strict: true,
    validate: true,
    ignoreTrailingSlashes: true,
    customizeAjv: (ajv) => withFormats(ajv),
  });
  await api.init();
  // openapi-backend 5.20 rebuilds its list of operations (lodash chains over the whole document)
  // on every lookup, several times per request. The document never changes after init.
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
  const document = api.document as OpenAPIV3.Document;
  const requestDtoSchema = document.components?.schemas?.QvicklyCheckoutIpnCallBack as SchemaObject;
  // OpenAPI's `example` is not a JSON Schema keyword; everything else is compiled strictly.
  const ajv = withFormats(new Ajv({ allErrors: true, strict: true, keywords: ['example'] }));
  return {
    api,
    document,
    requestDtoSchema,
    validateRequestDto: ajv.compile(requestDtoSchema),
    queryParameterNames: queryParameterNamesOf(document),
    callbackPath: operationPath(operations, 'QvicklyCheckoutIpnCallBack'),
  };
}

function operationPath(operations: Array<{ operationId?: string; path: string }>, operationId: string): string {
  const found = operations.find((operation) => operation.operationId === operationId);
  if (!found) throw new Error(`The contract has no operation ${operationId}`);
  return found.path;
}

function queryParameterNamesOf(document: OpenAPIV3.Document): Map<string, string> {
  const names = new Map<string, string>();
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem ?? {})) {
      const parameters = (operation as OpenAPIV3.OperationObject).parameters ?? [];
      for (const parameter of parameters as OpenAPIV3.ParameterObject[]) {
        if (parameter.in === 'query') names.set(parameter.name.toLowerCase(), parameter.name);
      }
    }
  }
  return names;
}
