import type { Contract, SchemaObject } from '../contract';
import type { BoundCallback, CallbackData, UnboundClaims } from '../ipn/receive';
import type { ResponseError } from './formats/dto';
import type { Field, FieldSource } from './fields';
import { toResponseErrors } from './validation-errors';

/** The request's fields by where they came from; later places override earlier ones. */
export interface CallbackSources {
  json: FieldSource;
  query: FieldSource;
  form: FieldSource;
}

export type BindResult =
  | { ok: true; callback: BoundCallback }
  | { ok: false; errors: ResponseError[]; claims: UnboundClaims };

type RequestDto = {
  CompanyId: string;
  BookingId: string;
  Data: CallbackData;
  ArticleTypeId: number;
  credentials?: { hash?: string };
};

/** Query and form values are text; the DTO's schema says what each should become. */
function fromText(schema: SchemaObject | undefined, text: string): unknown {
  switch (schema?.type) {
    case 'integer':
    case 'number':
      return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : text;
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

/**
 * Binds a callback the way ServiceStack binds its request DTO: each property of the contract's
 * QvicklyCheckoutIpnCallBack schema is looked up case-insensitively in the JSON body, then the
 * query string, then the form, the last one found winning. The result is validated against that
 * same schema; errors name fields as they were sent.
 */
export function bindCallback(contract: Contract, sources: CallbackSources): BindResult {
  const properties = (contract.requestDtoSchema.properties ?? {}) as Record<string, SchemaObject>;
  const dto: Record<string, unknown> = {};
  const chosen = new Map<string, Field>();
  const repeated: ResponseError[] = [];
  for (const [name, schema] of Object.entries(properties)) {
    const key = name.toLowerCase();
    for (const source of [sources.json, sources.query, sources.form]) {
      const field = source.get(key);
      if (!field) continue;
      chosen.set(name, field);
      dto[name] = field.isText ? fromText(schema, field.text) : field.value;
      if (field.repeated) {
        const message = `'${field.sentKey}' is given more than once`;
        repeated.push({ ErrorCode: 'SerializationException', FieldName: field.sentKey, Message: message });
      }
    }
  }

  const valid = contract.validateRequestDto(dto);
  if (!valid || repeated.length > 0) {
    const nameOf = (segments: string[]): string => {
      const [first = '', ...rest] = segments;
      return [chosen.get(first)?.sentKey ?? first, ...rest].join('.');
    };
    const invalid = toResponseErrors(contract.validateRequestDto.errors ?? [], dto, nameOf);
    const errors = [...repeated, ...invalid.filter((error) => !repeated.some((known) => known.FieldName === error.FieldName))];
    return { ok: false, errors, claims: claimsOf(dto) };
  }

  const bound = dto as RequestDto;
  return {
    ok: true,
    callback: {
      companyId: bound.CompanyId.toLowerCase(),
      bookingId: bound.BookingId,
      articleTypeId: bound.ArticleTypeId,
      data: bound.Data,
      dataText: chosen.get('Data')?.text ?? '',
      hash: bound.credentials?.hash,
    },
  };
}

const MAX_CLAIM = 255;

/** Whatever an invalid callback said about itself that fits an inbox column. */
function claimsOf(dto: Record<string, unknown>): UnboundClaims {
  const shortText = (value: unknown): string | null =>
    typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, MAX_CLAIM) : null;
  const data = dto.Data !== null && typeof dto.Data === 'object' ? (dto.Data as Record<string, unknown>) : {};
  return {
    companyId: shortText(dto.CompanyId)?.toLowerCase() ?? null,
    bookingId: shortText(dto.BookingId),
    articleTypeId: isInt32(dto.ArticleTypeId) ? dto.ArticleTypeId : null,
    number: shortText(data.number),
    status: shortText(data.status),
  };
}

function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
}
