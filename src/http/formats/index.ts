import { toCsv } from './csv';
import { REQUEST_DTO_NAME, type AnswerBody, type ResponseFormat } from './dto';
import { toServiceStackJson } from './json';
import { toJsv } from './jsv';
import { toXml } from './xml';

export interface SerializedAnswer {
  contentType: string;
  payload: string;
  headers: Record<string, string>;
}

/** The body and headers ServiceStack writes for a DTO in a format. */
export function serializeAnswer(format: ResponseFormat, body: AnswerBody): SerializedAnswer {
  switch (format) {
    case 'json':
      return { contentType: 'application/json; charset=utf-8', payload: toServiceStackJson(body.dto), headers: {} };
    case 'xml':
      return { contentType: 'application/xml', payload: toXml(body), headers: {} };
    case 'jsv':
      return { contentType: 'application/jsv', payload: toJsv(body.dto), headers: {} };
    case 'csv':
      return {
        contentType: 'text/csv',
        payload: toCsv(body),
        headers:
          body.kind === 'response' ? { 'Content-Disposition': `attachment;filename="${REQUEST_DTO_NAME}.csv"` } : {},
      };
  }
}
