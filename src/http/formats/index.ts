import { REQUEST_DTO_NAME, type AnswerBody, type ResponseFormat } from './dto';
import { toServiceStackJson } from './json';
import { toJsv } from './jsv';

// The XML and CSV writers pull in libraries (about 11 MB resident) that most deployments never
// use: Qvickly takes the JSON default. They are loaded on the first answer that needs them.
let xml: typeof import('./xml') | undefined;
let csv: typeof import('./csv') | undefined;
const toXml = (body: AnswerBody): string => (xml ??= require('./xml') as typeof import('./xml')).toXml(body);
const toCsv = (body: AnswerBody): string => (csv ??= require('./csv') as typeof import('./csv')).toCsv(body);

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
