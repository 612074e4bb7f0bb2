import { randomBytes, randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import { callbackUrl, signCallback } from '../../src/client/sign';
import { seededRandom } from '../support/random';

/** The company every benchmark callback is for, with the secret it is signed with. */
export interface BenchCompany {
  companyId: string;
  secret: string;
}

export function aBenchCompany(): BenchCompany {
  return { companyId: randomUUID(), secret: randomBytes(16).toString('hex') };
}

export interface TrafficPlan {
  company: BenchCompany;
  connections: number;
  /** Requests generated per connection; a connection that sends them all starts over. */
  perConnection: number;
  /** Share of requests that repeat an earlier callback of the same connection byte for byte. */
  duplicateShare: number;
  /** First payment number; new payments count up from it, interleaved across connections. */
  firstNumber: number;
  seed: number;
}

export interface Traffic {
  /** One request list per autocannon connection. */
  byConnection: autocannon.Request[][];
  total: number;
  newPayments: number;
  duplicates: number;
}

/**
 * Signed callbacks as Qvickly sends them (raw JSON body, routing in the query string), built
 * before the load starts so that signing costs the load generator nothing while measuring.
 * Mostly new payments; `duplicateShare` of them are exact repeats of one the same connection
 * sent earlier (Qvickly's retries), which the service must answer 200 `duplicate`.
 */
export function generateTraffic(plan: TrafficPlan): Traffic {
  const random = seededRandom(plan.seed);
  const byConnection: autocannon.Request[][] = [];
  let newPayments = 0;
  let duplicates = 0;
  for (let connection = 0; connection < plan.connections; connection += 1) {
    const requests: autocannon.Request[] = [];
    const sent: autocannon.Request[] = [];
    for (let index = 0; index < plan.perConnection; index += 1) {
      if (sent.length > 0 && random() < plan.duplicateShare) {
        const earlier = sent[Math.floor(random() * sent.length)] as autocannon.Request;
        requests.push({ ...earlier, headers: { ...earlier.headers } });
        duplicates += 1;
        continue;
      }
      // Qvickly numbers payments from one counter and BokaMera numbers bookings the same way, so
      // connection c's k-th new payment is the (k * connections + c)-th overall, with its own booking.
      const sequence = sent.length * plan.connections + connection;
      const request = aPaidCallback(plan.company, plan.firstNumber + sequence, String(FIRST_BOOKING + sequence), random);
      sent.push(request);
      requests.push(request);
      newPayments += 1;
    }
    byConnection.push(requests);
  }
  return { byConnection, total: newPayments + duplicates, newPayments, duplicates };
}

const FIRST_BOOKING = 5_000_000;

function aPaidCallback(company: BenchCompany, number: number, bookingId: string, random: () => number): autocannon.Request {
  const articleTypeId = 1 + Math.floor(random() * 3);
  const signed = signCallback(company.secret, {
    number: String(number),
    status: 'Paid',
    orderid: `P${number}${Math.floor(random() * 1e9)}`,
    url: '',
  });
  // The signed callback URL BokaMera gives Qvickly for the checkout.
  const url = callbackUrl({ secret: company.secret, companyId: company.companyId, bookingId, articleTypeId, base: '' });
  return {
    method: 'POST',
    path: url,
    headers: { 'content-type': 'application/json' },
    body: signed.jsonBody,
  };
}
