import type { components } from '../../../generated/openapi';

export type IpnCallBackResponse = components['schemas']['IpnCallBackResponse'];
export type ErrorResponse = components['schemas']['ErrorResponse'];
export type ResponseError = components['schemas']['ResponseError'];

/** The two bodies the service answers the callback route with. */
export type AnswerBody = { kind: 'response'; dto: IpnCallBackResponse } | { kind: 'error'; dto: ErrorResponse };

export type ResponseFormat = 'json' | 'xml' | 'csv' | 'jsv';
export const RESPONSE_FORMATS: readonly ResponseFormat[] = ['json', 'xml', 'csv', 'jsv'];

/** The operation's request DTO name, which ServiceStack uses in messages and file names. */
export const REQUEST_DTO_NAME = 'QvicklyCheckoutIpnCallBack';
