import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import type { OpenAPIV3 } from 'openapi-types';
import { projectRoot } from '../../src/paths';

/** The part of Qvickly's Payment API we call, and its sandbox secret. */
export const qvicklyContractPath = path.join(projectRoot, 'openapi', 'qvickly-payment-api.yaml');
export const SANDBOX_SECRET = 'sandbox-secret-0001';
export const SANDBOX_MERCHANT_ID = '12345';

export const qvicklyContract = yaml.load(readFileSync(qvicklyContractPath, 'utf8')) as OpenAPIV3.Document;

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(qvicklyContract as object, 'qvickly');

/** A validator for one of the contract's component schemas. */
export function qvicklySchemaValidator(name: string): ValidateFunction {
  const validate = ajv.getSchema(`qvickly#/components/schemas/${name}`);
  if (!validate) throw new Error(`The Qvickly contract has no schema ${name}`);
  return validate;
}

const operation = qvicklyContract.paths['/']?.post;
if (!operation) throw new Error('The Qvickly contract has no POST /');

function examplesOf(content: OpenAPIV3.MediaTypeObject | undefined): Record<string, unknown> {
  const examples = (content?.examples ?? {}) as Record<string, OpenAPIV3.ExampleObject>;
  return Object.fromEntries(Object.entries(examples).map(([name, example]) => [name, example.value as unknown]));
}

/** getPaymentinfo's named answer examples, in the contract's order. */
export const answerExamples = examplesOf((operation.responses['200'] as OpenAPIV3.ResponseObject).content?.['application/json']);

/** getPaymentinfo's named request examples. */
export const requestExamples = examplesOf((operation.requestBody as OpenAPIV3.RequestBodyObject).content['application/json']);
