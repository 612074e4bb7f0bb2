import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { OpenAPIV3 } from 'openapi-types';
import { RESPONSE_FORMATS, serializeAnswer, type ResponseFormat } from '../../src/http/formats';
import type { AnswerBody, ErrorResponse, IpnCallBackResponse } from '../../src/http/formats/body';
import { contractPath } from '../../src/paths';
import { CALLBACK_RESPONSES, FORMAT_MEDIA_TYPES, responseExamples } from '../support/contract-examples';

function bodyOf(dto: unknown): AnswerBody {
  return 'ResponseStatus' in (dto as object)
    ? { kind: 'error', dto: dto as ErrorResponse }
    : { kind: 'response', dto: dto as IpnCallBackResponse };
}

const cases = CALLBACK_RESPONSES.flatMap((response) =>
  Object.entries(responseExamples(response, 'application/json')).flatMap(([name, example]) =>
    (['json', 'xml', 'csv', 'jsv'] as ResponseFormat[]).flatMap((format) => {
      const documented = format === 'json' ? undefined : responseExamples(response, FORMAT_MEDIA_TYPES[format])[name];
      return [[`${response} ${name} as ${format}`, format, example.value, documented?.value] as const];
    }),
  ),
);

describe("the writers produce the contract's examples byte for byte", () => {
  it('covers every format of every documented answer', () => {
    expect(cases.length).toBeGreaterThanOrEqual(64);
  });

  it.each(cases)('%s', (_title, format, jsonExample, documented) => {
    if (format !== 'json' && documented === undefined) throw new Error('the contract has no example for this format');
    const written = serializeAnswer(format, bodyOf(jsonExample)).payload;
    if (format === 'json') expect(JSON.parse(written)).toEqual(jsonExample);
    else expect(written).toBe(documented);
  });
});

describe("ServiceStack's own bytes for IpnCallBackResponse {Message:'String', Success:false}", () => {
  const sample: AnswerBody = { kind: 'response', dto: { Message: 'String', Success: false } };

  it.each([
    ['json', 'application/json; charset=utf-8', '{"Message":"String","Success":false}', 36],
    ['csv', 'text/csv', 'Message,Success\r\nString,False\r\n', 31],
    ['jsv', 'application/jsv', '{Message:String,Success:False}', 30],
    [
      'xml',
      'application/xml',
      '<?xml version="1.0" encoding="utf-8"?><IpnCallBackResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/BokaMera.API.ServiceModel.Dtos"><Message>String</Message><Success>false</Success></IpnCallBackResponse>',
      261,
    ],
  ] as const)('%s', (format, contentType, bytes, length) => {
    const written = serializeAnswer(format, sample);
    expect(written.contentType).toBe(contentType);
    expect(written.payload).toBe(bytes);
    expect(Buffer.byteLength(written.payload)).toBe(length);
  });

  it('writes CSV with the request DTO as the download name, on success only', () => {
    expect(serializeAnswer('csv', sample).headers).toEqual({
      'Content-Disposition': 'attachment;filename="QvicklyCheckoutIpnCallBack.csv"',
    });
    const error: AnswerBody = { kind: 'error', dto: { ResponseStatus: { ErrorCode: 'X', Message: 'y', Errors: [] } } };
    expect(serializeAnswer('csv', error).headers).toEqual({});
  });
});

describe('escaping in each format', () => {
  const tricky: AnswerBody = { kind: 'response', dto: { Message: 'a "q", {b}: <c> & d\u0001', Success: true } };

  it('JSON escapes control characters with uppercase hex, keeps / and non-ASCII raw', () => {
    const body: AnswerBody = { kind: 'response', dto: { Message: 'å/\u001f\\u001f', Success: true } };
    expect(serializeAnswer('json', body).payload).toBe('{"Message":"å/\\u001F\\\\u001f","Success":true}');
  });

  it('JSV quotes a string with any of ",:{}[]" and doubles its quotes', () => {
    expect(serializeAnswer('jsv', tricky).payload).toBe('{Message:"a ""q"", {b}: <c> & d\u0001",Success:True}');
  });

  it('CSV quotes a field with a quote or comma, or one starting with { or [', () => {
    expect(serializeAnswer('csv', tricky).payload).toBe('Message,Success\r\n"a ""q"", {b}: <c> & d\u0001",True\r\n');
    const braces: AnswerBody = { kind: 'response', dto: { Message: '[x', Success: true } };
    expect(serializeAnswer('csv', braces).payload).toBe('Message,Success\r\n"[x",True\r\n');
  });

  it('XML escapes markup and replaces characters XML cannot carry', () => {
    expect(serializeAnswer('xml', tricky).payload).toContain('<Message>a "q", {b}: &lt;c&gt; &amp; d\uFFFD</Message>');
  });

  it('XML writes a missing Message as nil, JSON and JSV omit it', () => {
    const empty: AnswerBody = { kind: 'response', dto: { Success: false } };
    expect(serializeAnswer('xml', empty).payload).toContain('<Message i:nil="true" /><Success>false</Success>');
    expect(serializeAnswer('json', empty).payload).toBe('{"Success":false}');
    expect(serializeAnswer('jsv', empty).payload).toBe('{Success:False}');
    expect(serializeAnswer('csv', empty).payload).toBe('Message,Success\r\n,False\r\n');
  });
});

describe('the formats the code writes are the ones the contract names', () => {
  it('matches the route suffix enum and the media types of every callback answer', () => {
    const document = yaml.load(readFileSync(contractPath, 'utf8')) as OpenAPIV3.Document;
    const suffixed = document.paths['/payment/billmate/v1/ipncallback.{format}']?.post;
    const format = (suffixed?.parameters as OpenAPIV3.ParameterObject[]).find((parameter) => parameter.name === 'format');
    expect((format?.schema as OpenAPIV3.SchemaObject).enum).toEqual([...RESPONSE_FORMATS]);
    for (const response of CALLBACK_RESPONSES) {
      const content = (document.components?.responses?.[response] as OpenAPIV3.ResponseObject).content ?? {};
      expect(Object.keys(content)).toEqual(RESPONSE_FORMATS.map((name) => FORMAT_MEDIA_TYPES[name]));
    }
  });
});
