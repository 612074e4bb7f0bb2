import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import type { EventType, PaymentEvent } from '../../src/ipn/event-body';

interface Schema {
  properties?: Record<string, unknown>;
}

interface EventsDocument {
  info: { description: string };
  webhooks: Record<
    EventType,
    {
      post: {
        requestBody: { content: { 'application/json': { examples: Record<string, { value: PaymentEvent }> } } };
      };
    }
  >;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, { name: string; example: string }>;
  };
}

/** openapi/events.yaml, as the booking system reads it. */
export const eventsDocument = yaml.load(
  readFileSync(path.join(__dirname, '..', '..', 'openapi', 'events.yaml'), 'utf8'),
) as EventsDocument;

export const EVENT_TYPES = Object.keys(eventsDocument.webhooks) as EventType[];

/** Every example body of the contract: [webhook, example name, body]. */
export const eventExamples: Array<[EventType, string, PaymentEvent]> = EVENT_TYPES.flatMap((type) =>
  Object.entries(eventsDocument.webhooks[type].post.requestBody.content['application/json'].examples).map(
    ([name, example]): [EventType, string, PaymentEvent] => [type, name, example.value],
  ),
);

/** The member names of a component schema, in the contract's order. */
export function schemaMembers(name: string): string[] {
  return Object.keys(eventsDocument.components.schemas[name]?.properties ?? {});
}

/** A validator for one of the contract's component schemas (JSON Schema 2020-12, formats checked). */
export function eventSchemaValidator(name: string): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(eventsDocument as object, 'events');
  const validate = ajv.getSchema(`events#/components/schemas/${name}`);
  if (!validate) throw new Error(`openapi/events.yaml has no schema ${name}`);
  return validate;
}
