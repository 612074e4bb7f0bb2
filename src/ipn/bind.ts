import type { ValidateFunction } from 'ajv';
import type { components } from '../../generated/openapi';
import { toFieldErrors, type FieldError } from './field-errors';
import { memberText, type Field, type FieldSource } from './fields';
import type { CallbackClaims } from './ports';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema> };

/** The contract's bound request DTO (QvicklyCheckoutIpnCallBack), compiled once from the contract. */
export interface RequestDtoSchema {
  properties: Record<string, JsonSchema>;
  /** Query parameters the operation declares beyond the DTO (`format`): validated, never bound. */
  queryOnly: readonly string[];
  /** The whole bound DTO, query-only parameters included. */
  validate: ValidateFunction;
  /** One property alone, for a value another place overrides: a wrong value is refused wherever it was sent. */
  validateProperty: Readonly<Record<string, ValidateFunction>>;
}

type RequestDto = components['schemas']['QvicklyCheckoutIpnCallBack'];

/** The request's fields by where they came from; later places override earlier ones. */
export interface CallbackSources {
  json: FieldSource;
  query: FieldSource;
  form: FieldSource;
}

/** A callback after binding and validation: what it claims, and the text its signature covers. */
export interface BoundCallback {
  companyId: string;
  bookingId: string;
  articleTypeId: number;
  /** Qvickly's payment number as sent: a JSON integer is taken from its text, never rounded. */
  number: string;
  status: string;
  orderid: string | null;
  url: string | null;
  /** The text of `data` exactly as received (JSON span or decoded form field). */
  dataText: string;
  hash: string | undefined;
  /** The callback URL's OrderId and Signature query parameters, when it has them. */
  urlOrderId: string | undefined;
  urlSignature: string | undefined;
}

export type BindResult = { ok: true; callback: BoundCallback } | { ok: false; errors: FieldError[]; claims: CallbackClaims };

/** Query and form values are text; the DTO's schema says what each should become. */
function fromText(schema: JsonSchema | undefined, text: string): unknown {
  switch (schema?.type) {
    case 'integer':
    case 'number':
      return isDecimalInteger(text.trim()) ? Number(text) : text;
    case 'object':
    case 'array':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

function isDecimalInteger(text: string): boolean {
  const digits = text.startsWith('+') || text.startsWith('-') ? text.slice(1) : text;
  if (digits.length === 0) return false;
  for (let index = 0; index < digits.length; index++) {
    const code = digits.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

interface Merged {
  dto: Record<string, unknown>;
  /** The field each DTO property was bound from. */
  chosen: Map<string, Field>;
  /** Values a later place overrode, with the property they were sent for. */
  overridden: Array<{ name: string; field: Field; value: unknown }>;
  repeated: FieldError[];
}

/** Each DTO property from the last place that has it, converted by the property's schema. */
function mergeSources(schema: RequestDtoSchema, sources: CallbackSources): Merged {
  const merged: Merged = { dto: {}, chosen: new Map(), overridden: [], repeated: [] };
  const bind = (name: string, property: JsonSchema | undefined, places: FieldSource[]): void => {
    const key = name.toLowerCase();
    for (const source of places) {
      const field = source.get(key);
      if (!field) continue;
      const known = merged.chosen.get(name);
      if (known) merged.overridden.push({ name, field: known, value: merged.dto[name] });
      merged.chosen.set(name, field);
      merged.dto[name] = field.isText ? fromText(property, field.text) : field.value;
      if (field.repeated) {
        const message = `'${field.sentKey}' is given more than once`;
        merged.repeated.push({ ErrorCode: 'SerializationException', FieldName: field.sentKey, Message: message });
      }
    }
  };
  for (const [name, property] of Object.entries(schema.properties)) bind(name, property, [sources.json, sources.query, sources.form]);
  for (const name of schema.queryOnly) bind(name, undefined, [sources.query]);
  return merged;
}

/** Errors of values that were overridden: each must be valid where it was sent, bound or not. */
function overriddenErrors(schema: RequestDtoSchema, overridden: Merged['overridden']): FieldError[] {
  return overridden.flatMap(({ name, field, value }) => {
    const validate = schema.validateProperty[name];
    if (!validate || validate({ [name]: value })) return [];
    return toFieldErrors(validate.errors ?? [], { [name]: value }, ([, ...rest]) => [field.sentKey, ...rest].join('.'));
  });
}

/** What a callback that cannot be read or bound says about itself, for its inbox row. */
export function claimsOfSources(schema: RequestDtoSchema, sources: CallbackSources): CallbackClaims {
  const { dto, chosen } = mergeSources(schema, sources);
  return claimsOf(dto, chosen.get('Data')?.text ?? '');
}

/**
 * Binds a callback the way ServiceStack binds its request DTO: each property of the contract's
 * QvicklyCheckoutIpnCallBack schema is looked up case-insensitively in the JSON body, then the
 * query string, then the form, the last one found winning, and converted once. The bound DTO
 * is then validated against that same schema (the only validation a callback gets); errors
 * name fields as they were sent.
 */
export function bindCallback(schema: RequestDtoSchema, sources: CallbackSources): BindResult {
  const { dto, chosen, overridden, repeated } = mergeSources(schema, sources);
  const valid = schema.validate(dto);
  const overriddenInvalid = overriddenErrors(schema, overridden);
  if (!valid || repeated.length > 0 || overriddenInvalid.length > 0) {
    const nameOf = (segments: string[]): string => {
      const [first = '', ...rest] = segments;
      return [chosen.get(first)?.sentKey ?? first, ...rest].join('.');
    };
    const invalid = valid ? [] : toFieldErrors(schema.validate.errors ?? [], dto, nameOf);
    const errors = [...repeated];
    for (const error of [...overriddenInvalid, ...invalid]) {
      if (!errors.some((known) => known.FieldName === error.FieldName)) errors.push(error);
    }
    return { ok: false, errors, claims: claimsOf(dto, chosen.get('Data')?.text ?? '') };
  }

  const bound = dto as RequestDto;
  const dataText = chosen.get('Data')?.text ?? '';
  const { number, status, orderid, url } = bound.Data;
  return {
    ok: true,
    callback: {
      companyId: bound.CompanyId.toLowerCase(),
      bookingId: bound.BookingId,
      articleTypeId: bound.ArticleTypeId,
      number: typeof number === 'string' ? number : (memberText(dataText, 'number') ?? String(number)),
      status,
      orderid: typeof orderid === 'string' ? orderid : null,
      url: typeof url === 'string' ? url : null,
      dataText,
      hash: bound.credentials?.hash,
      urlOrderId: textOf(dto.OrderId),
      urlSignature: textOf(dto.Signature),
    },
  };
}

const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const MAX_CLAIM = 255;

/** Whatever an invalid callback said about itself that fits an inbox column. */
function claimsOf(dto: Record<string, unknown>, dataText: string): CallbackClaims {
  const shortText = (value: unknown): string | null =>
    typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, MAX_CLAIM) : null;
  const data = dto.Data !== null && typeof dto.Data === 'object' ? (dto.Data as Record<string, unknown>) : {};
  return {
    companyId: shortText(dto.CompanyId)?.toLowerCase() ?? null,
    bookingId: shortText(dto.BookingId),
    articleTypeId: isInt32(dto.ArticleTypeId) ? dto.ArticleTypeId : null,
    number: shortText(typeof data.number === 'number' ? (memberText(dataText, 'number') ?? data.number) : data.number),
    status: shortText(data.status),
  };
}

function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
}
