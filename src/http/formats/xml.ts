import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import type { AnswerBody, ErrorResponse, IpnCallBackResponse } from './body';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const ARRAYS = 'http://schemas.microsoft.com/2003/10/Serialization/Arrays';
const DTO_NAMESPACE = 'http://schemas.datacontract.org/2004/07/BokaMera.API.ServiceModel.Dtos';
const SERVICESTACK_NAMESPACE = 'http://schemas.servicestack.net/types';

// Characters XML 1.0 cannot carry; DataContractSerializer would refuse them.
const INVALID_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function text(parent: XMLBuilder, name: string, value: string | undefined): void {
  if (value === undefined) parent.ele(name, { 'i:nil': 'true' });
  else parent.ele(name).txt(value.replace(INVALID_XML_CHARS, '\uFFFD'));
}

function nilMap(parent: XMLBuilder, depth: number): void {
  parent.ele('Meta', { [`xmlns:d${depth}p1`]: ARRAYS, 'i:nil': 'true' });
}

/** IpnCallBackResponse as DataContract XML: members in alphabetical order, the DTO's CLR namespace. */
function responseXml(root: XMLBuilder, dto: IpnCallBackResponse): void {
  const element = root.ele('IpnCallBackResponse', { 'xmlns:i': XSI, xmlns: DTO_NAMESPACE });
  text(element, 'Message', dto.Message);
  element.ele('Success').txt(dto.Success ? 'true' : 'false');
}

/** ErrorResponse as DataContract XML: ResponseStatus members in DataMember order. */
function errorXml(root: XMLBuilder, dto: ErrorResponse): void {
  const status = root
    .ele('ErrorResponse', { 'xmlns:i': XSI, xmlns: SERVICESTACK_NAMESPACE })
    .ele('ResponseStatus');
  text(status, 'ErrorCode', dto.ResponseStatus.ErrorCode);
  text(status, 'Message', dto.ResponseStatus.Message);
  text(status, 'StackTrace', undefined);
  const errors = status.ele('Errors');
  for (const error of dto.ResponseStatus.Errors) {
    const item = errors.ele('ResponseError');
    text(item, 'ErrorCode', error.ErrorCode);
    text(item, 'FieldName', error.FieldName);
    text(item, 'Message', error.Message);
    nilMap(item, 5);
  }
  nilMap(status, 3);
}

export function toXml(body: AnswerBody): string {
  const root = create({ version: '1.0', encoding: 'utf-8' });
  if (body.kind === 'response') responseXml(root, body.dto);
  else errorXml(root, body.dto);
  return root.end({ prettyPrint: false, spaceBeforeSlash: true, wellFormed: false });
}
