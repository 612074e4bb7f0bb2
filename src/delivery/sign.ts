import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers of one attempt. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';

/**
 * Throws unless `secret` is a Standard Webhooks secret: `whsec_` and the base64 of the key.
 * Meant for start-up, so a bad EVENTS_WEBHOOK_SECRET stops the service instead of failing
 * every delivery.
 */
export function assertWebhookSecret(secret: string): void {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : undefined;
  if (!encoded || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('The webhook secret must be "whsec_" followed by the base64 of the key');
  }
}

/**
 * Signs one attempt: HMAC-SHA256 of `{eventId}.{seconds}.{body}` with the decoded secret.
 * `timestamp` is when this attempt is sent, so a retry carries a fresh one while the id and
 * the body stay the same.
 */
export function signEvent(secret: string, eventId: string, timestamp: Date, body: string): WebhookHeaders {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signerFor(secret).sign(eventId, timestamp, body),
  };
}

// One service signs with one secret: decode it once, not at every attempt.
let signer: { secret: string; webhook: Webhook } | undefined;
function signerFor(secret: string): Webhook {
  if (signer?.secret !== secret) signer = { secret, webhook: new Webhook(secret) };
  return signer.webhook;
}
