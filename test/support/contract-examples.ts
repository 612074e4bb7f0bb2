import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { OpenAPIV3 } from 'openapi-types';
import { contractPath } from '../../src/paths';

const document = yaml.load(readFileSync(contractPath, 'utf8')) as OpenAPIV3.Document;

type Examples = Record<string, OpenAPIV3.ExampleObject>;

/** The named examples of a component response, by media type, straight from the contract file. */
export function responseExamples(response: string, mediaType: string): Examples {
  const content = (document.components?.responses?.[response] as OpenAPIV3.ResponseObject | undefined)?.content;
  const examples = content?.[mediaType]?.examples as Examples | undefined;
  if (!examples) throw new Error(`The contract has no ${mediaType} examples for response ${response}`);
  return examples;
}

export function responseExample(response: string, mediaType: string, name: string): unknown {
  const example = responseExamples(response, mediaType)[name];
  if (!example) throw new Error(`The contract has no example ${name} of ${response} ${mediaType}`);
  return example.value;
}

/** The callback operation's responses that carry examples, by component name. */
export const CALLBACK_RESPONSES = [
  'CallbackReceived',
  'BadRequest',
  'NotAuthenticated',
  'PaymentBoundElsewhere',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'StoreUnavailable',
  'OtherError',
] as const;

export const FORMAT_MEDIA_TYPES = { json: 'application/json', xml: 'application/xml', csv: 'text/csv', jsv: 'application/jsv' } as const;
