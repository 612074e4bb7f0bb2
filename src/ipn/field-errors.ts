import type { ErrorObject } from 'ajv';
import type { components } from '../../generated/openapi';

/** A field error as ServiceStack reports it (the contract's ResponseError). */
export type FieldError = components['schemas']['ResponseError'];

/** Names a field from its path in the validated object, as the caller sent it. */
export type FieldNamer = (segments: string[]) => string;

const MAX_ECHOED_VALUE = 100;

function valueAt(root: unknown, segments: string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Object.prototype.hasOwnProperty.call(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return value;
}

function echo(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = typeof value; // nested too deeply to print
  }
  return text.length > MAX_ECHOED_VALUE ? `${text.slice(0, MAX_ECHOED_VALUE)}…` : text;
}

function segmentsOf(error: ErrorObject): string[] {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String((error.params as { missingProperty: string }).missingProperty));
  return segments;
}

/** Most telling first: a missing value, then a length, then a value that does not parse. */
function describe(error: ErrorObject, field: string, value: unknown): { rank: number; entry: FieldError } {
  const limit = (error.params as { limit?: number }).limit;
  if (error.keyword === 'required' || (error.keyword === 'minLength' && limit === 1)) {
    return { rank: 3, entry: { ErrorCode: 'NotEmpty', FieldName: field, Message: `'${field}' must not be empty` } };
  }
  if (error.keyword === 'maxLength') {
    const message = `'${field}' must be ${limit} characters or fewer`;
    return { rank: 2, entry: { ErrorCode: 'MaximumLength', FieldName: field, Message: message } };
  }
  if (error.keyword === 'minLength') {
    const message = `'${field}' must be at least ${limit} characters`;
    return { rank: 2, entry: { ErrorCode: 'MinimumLength', FieldName: field, Message: message } };
  }
  const message = `'${echo(value)}' is an Invalid value for '${field}'`;
  return { rank: 1, entry: { ErrorCode: 'SerializationException', FieldName: field, Message: message } };
}

/** Ajv's errors as ServiceStack field errors: one per field, in the order fields failed. */
export function toFieldErrors(errors: readonly ErrorObject[], validated: unknown, nameOf: FieldNamer): FieldError[] {
  const byField = new Map<string, { rank: number; entry: FieldError }>();
  for (const error of errors) {
    const segments = segmentsOf(error);
    const field = nameOf(segments);
    const described = describe(error, field, valueAt(validated, segments));
    const known = byField.get(field);
    if (!known || described.rank > known.rank) byField.set(field, described);
  }
  return [...byField.values()].map(({ entry }) => entry);
}
