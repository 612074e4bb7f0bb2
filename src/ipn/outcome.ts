/** Every way a received callback can end; each is stored on its inbox row. */
export const CALLBACK_OUTCOMES = [
  'applied',
  'duplicate',
  'stale',
  'conflict',
  'unrecognised',
  'booking_mismatch',
  'unauthenticated',
  'invalid',
  'undeserializable',
  'unsupported',
] as const;

export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/** What the use case decided, with what a message needs to explain it. */
export interface CallbackResult {
  outcome: CallbackOutcome;
  callbackId: number;
  number?: string;
  status?: string;
  /** The payment's status before this callback, when it had one. */
  previousStatus?: string;
  /** Why a callback was refused; for the inbox and logs, never for the caller. */
  reason?: string;
}

/** The sentence the caller gets for an outcome the callback route answers with a message. */
export function describeOutcome(result: CallbackResult): string {
  const { number, status, previousStatus } = result;
  switch (result.outcome) {
    case 'applied':
      return `Payment ${number} is now ${status}`;
    case 'duplicate':
      return `Callback already received for payment ${number}; nothing changed`;
    case 'stale':
      return `Payment ${number} is already ${previousStatus}; ${status} was recorded but not applied`;
    case 'conflict':
      return `Payment ${number} is already ${previousStatus}; ${status} was recorded for review but not applied`;
    case 'unrecognised':
      return `Unrecognised payment status '${status}'; recorded, payment ${number} not changed`;
    case 'booking_mismatch':
      return `Payment ${number} is already bound to another booking`;
    case 'unauthenticated':
      return 'The callback could not be authenticated';
    case 'invalid':
    case 'undeserializable':
      return 'The callback could not be bound';
    case 'unsupported':
      return 'The callback is in a format that is not supported';
  }
}
