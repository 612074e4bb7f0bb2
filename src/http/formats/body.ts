import type { components } from '../../../generated/openapi';

export type IpnCallBackResponse = components['schemas']['IpnCallBackResponse'];
export type ErrorResponse = components['schemas']['ErrorResponse'];

/** The two bodies the service answers the callback route with. */
export type AnswerBody = { kind: 'response'; dto: IpnCallBackResponse } | { kind: 'error'; dto: ErrorResponse };
