import { callbackUrl, signCallback } from '../../src/client/sign';
import { KNOWN_STATUSES } from '../../src/ipn/status';
import type { Options } from './options';

/**
 * The crash test's senders: signed callbacks for many payments (random statuses, repeats,
 * other spellings, JSON and form bodies) from a plan fixed by the seed, and what was answered.
 */
/** Other spellings of known statuses, and statuses the receiver does not know (answered 200 Success:false). */
const ODD_STATUSES = ['paid', 'CANCELLED', 'pending', 'Sent', 'Unknown'];

export type Outcome = 'applied' | 'duplicate' | 'stale' | 'conflict' | 'unrecognised';

interface PaymentPlan {
  number: string;
  bookingId: string;
  articleTypeId: number;
  /** Statuses already sent for this payment, to repeat. */
  sent: string[];
}

interface PlannedCallback {
  payment: PaymentPlan;
  status: string;
  encoding: 'json' | 'form';
}

export interface Acknowledged {
  number: string;
  status: string;
  outcome: Outcome;
  round: number;
}

/** The Message of a 200 answer says what the service did (describeOutcome's sentences). */
function outcomeOf(message: string): Outcome | undefined {
  if (/^Payment .* is now .*$/.test(message)) return 'applied';
  if (message.startsWith('Callback already received for payment ')) return 'duplicate';
  if (message.endsWith(' was recorded for review but not applied')) return 'conflict';
  if (message.endsWith(' was recorded but not applied')) return 'stale';
  if (message.startsWith('Unrecognised payment status ')) return 'unrecognised';
  return undefined;
}

export class Traffic {
  readonly acknowledged: Acknowledged[] = [];
  readonly violations: string[] = [];
  sent = 0;
  unanswered = 0;
  unavailable = 0;
  private readonly payments: PaymentPlan[];

  constructor(
    private readonly random: () => number,
    private readonly company: { companyId: string; secret: string },
    options: Options,
  ) {
    this.payments = Array.from({ length: options.payments }, (_, index) => ({
      number: `${options.seed}-${index}`,
      bookingId: `booking-${index}`,
      articleTypeId: 1 + (index % 3),
      sent: [],
    }));
  }

  get numbers(): string[] {
    return this.payments.map((payment) => payment.number);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  /** The next callback of the plan; the plan depends on the seed only, not on answers or timing. */
  private next(): PlannedCallback {
    const payment = this.pick(this.payments);
    const roll = this.random();
    let status: string;
    if (payment.sent.length > 0 && roll < 0.3) status = this.pick(payment.sent);
    else if (roll < 0.36) status = this.pick(ODD_STATUSES);
    else status = this.pick(KNOWN_STATUSES);
    if (!payment.sent.includes(status)) payment.sent.push(status);
    return { payment, status, encoding: this.random() < 0.2 ? 'form' : 'json' };
  }

  /** One sender: callbacks one after another until told to stop. */
  async sender(baseUrl: string, round: number, stop: { stopped: boolean }): Promise<void> {
    while (!stop.stopped) {
      const { payment, status, encoding } = this.next();
      const signed = signCallback(this.company.secret, { number: payment.number, status, orderid: `order-${payment.number}`, url: '' });
      // The signed callback URL BokaMera gives Qvickly for the checkout.
      const url = callbackUrl({ secret: this.company.secret, companyId: this.company.companyId, bookingId: payment.bookingId, articleTypeId: payment.articleTypeId, base: '' });
      this.sent += 1;
      let status200: { message: string } | undefined;
      try {
        const response = await fetch(`${baseUrl}${url}`, {
          method: 'POST',
          headers: { 'Content-Type': encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
          body: encoding === 'form' ? signed.formBody : signed.jsonBody,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status === 200) status200 = { message: (JSON.parse(text) as { Message: string }).Message };
        else if (response.status === 503) this.unavailable += 1;
        else this.violations.push(`round ${round}: ${payment.number} ${status} was answered ${response.status}: ${text.slice(0, 200)}`);
      } catch {
        // Killed mid-request, or refused while down: not acknowledged, so nothing is promised.
        this.unanswered += 1;
        continue;
      }
      if (!status200) continue;
      const outcome = outcomeOf(status200.message);
      if (!outcome) {
        this.violations.push(`round ${round}: ${payment.number} ${status}: unexpected 200 message '${status200.message}'`);
        continue;
      }
      this.acknowledged.push({ number: payment.number, status, outcome, round });
    }
  }
}

/** A company id from the seeded PRNG (version-4 layout), so a replay uses the same one. */
export function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
