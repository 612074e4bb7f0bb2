import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import OpenAPIBackend, { type Document } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import type { RequestDtoSchema } from './ipn/bind';
import { contractPath } from './paths';

export type SchemaObject = OpenAPIV3.SchemaObject;

/** The contract, loaded: the one router, and the one schema a callback is validated against. */
export interface Contract {
  /** openapi-backend over the contract: the only router. */
  api: OpenAPIBackend;
  document: OpenAPIV3.Document;
  /** The bound request DTO (QvicklyCheckoutIpnCallBack): its properties and its compiled validator. */
  requestDto: RequestDtoSchema;
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

/**
 * Loads openapi/openapi.yaml into a fresh openapi-backend router. The router does not validate:
 * a callback's fields come from the body, the query and a form at once, so the one validation
 * that means anything is of the bound DTO, against the contract's schema, compiled here once.
 */
export async function loadContract(): Promise<Contract> {
  const definition = yaml.load(readContractText()) as Document;
  const api = new OpenAPIBackend({ definition, strict: true, validate: false, ignoreTrailingSlashes: true });
  await api.init();
  // openapi-backend 5.20 rebuilds its list of operations (lodash chains over the whole document)
  // on every lookup, several times per request. The document never changes after init.
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
  const document = api.document as OpenAPIV3.Document;
  return { api, document, requestDto: compileRequestDto(document, operations) };
}

/**
 * The bound request DTO (QvicklyCheckoutIpnCallBack) and the callback's query parameters the
 * DTO does not have (`format`), compiled into the one validator a callback goes through.
 */
function compileRequestDto(document: OpenAPIV3.Document, operations: Array<{ operationId?: string; parameters?: unknown[] }>): RequestDtoSchema {
  const dto = document.components?.schemas?.QvicklyCheckoutIpnCallBack as SchemaObject;
  const properties = (dto.properties ?? {}) as Record<string, SchemaObject>;
  const dtoNames = new Set(Object.keys(properties).map((name) => name.toLowerCase()));
  const callback = operations.find((operation) => operation.operationId === 'QvicklyCheckoutIpnCallBack');
  const queryOnly = ((callback?.parameters ?? []) as OpenAPIV3.ParameterObject[]).filter(
    (parameter) => parameter.in === 'query' && !dtoNames.has(parameter.name.toLowerCase()),
  );
  // OpenAPI's `example` is not a JSON Schema keyword; everything else is compiled strictly.
  const ajv = withFormats(new Ajv({ allErrors: true, strict: true, keywords: ['example'] }));
  const queryProperties = Object.fromEntries(queryOnly.map((parameter) => [parameter.name, parameter.schema as SchemaObject]));
  return {
    properties: properties as RequestDtoSchema['properties'],
    queryOnly: queryOnly.map((parameter) => parameter.name),
    validate: ajv.compile({ ...dto, properties: { ...properties, ...queryProperties } }),
    validateProperty: Object.fromEntries(
      Object.entries(properties).map(([name, schema]) => [name, ajv.compile({ type: 'object', properties: { [name]: schema } })]),
    ),
  };
}
