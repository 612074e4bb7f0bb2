import { checkConfirmation, concludeCheck, judgeReport, type Verdict } from '../../src/ipn/confirm';
import { queuedConfirmation } from '../../src/ipn/confirmation';
import type { ConfirmationCheck, ConfirmationRecord, ConfirmationStore, QvicklyReport } from '../../src/ipn/confirmation-ports';
import type { Payment } from '../../src/ipn/ports';
import { categorize } from '../../src/ipn/status';

const COMPANY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const QUEUED = '2026-11-20T14:00:00.000Z';
const ASKED = new Date('2026-11-20T14:00:01.000Z');
const NOW = new Date('2026-11-20T14:00:01.250Z');
const RETRY = { firstDelayMs: 10_000, maxDelayMs: 3_600_000, retryForMs: 72 * 3_600_000 };

function aPayment(status: string, orderid: string | null = 'P-1'): Payment {
  return {
    companyId: COMPANY,
    number: '810652',
    bookingId: 'B-1',
    articleTypeId: 1,
    orderid,
    status,
    category: categorize(status) ?? 'accepted',
    url: null,
    routing: 'signed',
    updatedAt: QUEUED,
  };
}

const info = (status: string, orderid = 'P-1'): QvicklyReport => ({ kind: 'info', status, orderid, currency: 'SEK', amount: '69500', relatedNumber: null });

function aCheck(status = 'Paid', attempts = 0): ConfirmationCheck {
  return {
    lease: { companyId: COMPANY, number: '810652', generation: 3, leaseToken: 'token-1' },
    account: { merchantId: '4711', secret: 'merchant-secret', test: false },
    payment: aPayment(status),
    known: { ...queuedConfirmation(undefined), attempts },
    queuedAt: QUEUED,
    callbackId: 41,
  };
}

describe('the confirmation rule (payment status, Qvickly status -> verdict)', () => {
  it.each<[string, string, Verdict]>([
    ['Paid', 'Paid', 'confirmed'],
    ['Paid', 'PartPayment', 'confirmed'],
    ['Approved', 'Created', 'confirmed'],
    ['Created', 'Paid', 'confirmed'],
    ['WaitingForPurchase', 'Approved', 'confirmed'],
    ['Paid', 'Credited', 'confirmed'],
    ['Cancelled', 'Canceled', 'confirmed'],
    ['Denied', 'Rejected', 'confirmed'],
    ['Paid', 'Created', 'mismatch'],
    ['Paid', 'Pending', 'mismatch'],
    ['Credited', 'Paid', 'mismatch'],
    ['Paid', 'Denied', 'mismatch'],
    ['Paid', 'Cancelled', 'mismatch'],
    ['Cancelled', 'Denied', 'mismatch'],
    ['Cancelled', 'Paid', 'mismatch'],
    ['Paid', 'Shipped', 'mismatch'],
  ])('a payment %s that Qvickly reports %s is %s', (paymentStatus, qvicklyStatus, verdict) => {
    expect(judgeReport(aPayment(paymentStatus), info(qvicklyStatus)).verdict).toBe(verdict);
  });

  it('says why, in words: ahead, behind, contradicting, unknown', () => {
    expect(judgeReport(aPayment('Paid'), info('Credited')).reason).toBe('Qvickly reports Credited (refunded), ahead; the payment is Paid (settled)');
    expect(judgeReport(aPayment('Paid'), info('Created')).reason).toBe('Qvickly reports Created (accepted), behind; the payment is Paid (settled)');
    expect(judgeReport(aPayment('Paid'), info('Denied')).reason).toBe('Qvickly reports Denied (failed), which contradicts it; the payment is Paid (settled)');
    expect(judgeReport(aPayment('Paid'), info('Shipped')).reason).toBe("Qvickly reports a status the receiver does not know, 'Shipped'; the payment is Paid (settled)");
  });

  it('another order id than the payment\'s is a mismatch even when the status agrees', () => {
    expect(judgeReport(aPayment('Paid', 'P-1'), info('Paid', 'P-2'))).toEqual({
      verdict: 'mismatch',
      reason: "Qvickly reports order id 'P-2', the payment has 'P-1'",
    });
  });

  it('a payment whose callbacks carried no order id is judged by its status alone', () => {
    expect(judgeReport(aPayment('Paid', null), info('Paid', 'P-9')).verdict).toBe('confirmed');
    expect(judgeReport(aPayment('Paid', ''), info('Paid', 'P-9')).verdict).toBe('confirmed');
  });

  it('an error code is rejected and no believable answer is unavailable, whatever the payment', () => {
    expect(judgeReport(aPayment('Paid'), { kind: 'error', code: '5201', message: 'Invoice does not exist' })).toEqual({
      verdict: 'rejected',
      reason: 'Qvickly error 5201: Invoice does not exist',
    });
    expect(judgeReport(aPayment('Paid'), { kind: 'unavailable', reason: 'timeout', detail: 'no complete answer within 10000 ms' })).toEqual({
      verdict: 'unavailable',
      reason: 'timeout: no complete answer within 10000 ms',
    });
  });
});

describe('what a check records', () => {
  const conclude = (check: ConfirmationCheck, report: QvicklyReport, retry = RETRY, now = NOW) =>
    concludeCheck(check, report, { askedAt: ASKED, now }, () => 0, retry).record;

  it('confirmed: Qvickly\'s answer exactly, held events released, one confirmation_changed event with the payment as it stands', () => {
    const record = conclude(aCheck('Paid', 2), { kind: 'info', status: 'Paid', orderid: 'P-1', currency: 'SEK', amount: '69500', relatedNumber: '810001' });
    const confirmation = {
      state: 'confirmed',
      qvicklyStatus: 'Paid',
      orderid: 'P-1',
      currency: 'SEK',
      amount: '69500',
      relatedNumber: '810001',
      checkedAt: '2026-11-20T14:00:01.000Z',
      attempts: 3,
      error: null,
    };
    expect(record).toEqual({
      lease: { companyId: COMPANY, number: '810652', generation: 3, leaseToken: 'token-1' },
      confirmation,
      nextCheckAt: null,
      held: 'release',
      events: [
        {
          type: 'payment.confirmation_changed',
          held: false,
          data: {
            eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
            companyId: COMPANY,
            bookingId: 'B-1',
            articleTypeId: 1,
            number: '810652',
            orderid: 'P-1',
            status: 'Paid',
            category: 'settled',
            previousStatus: 'Paid',
            previousCategory: 'settled',
            routing: 'signed',
            confirmation,
            occurredAt: '2026-11-20T14:00:01.250Z',
          },
        },
      ],
      callbackId: 41,
      recordedAt: '2026-11-20T14:00:01.250Z',
    });
  });

  it('mismatch: Qvickly\'s answer, held events withheld, one event', () => {
    const record = conclude(aCheck('Paid'), info('Created'));
    expect(record.confirmation).toMatchObject({ state: 'mismatch', qvicklyStatus: 'Created', attempts: 1, error: null });
    expect([record.held, record.events.map((event) => event.data.confirmation?.state)]).toEqual(['withhold', ['mismatch']]);
  });

  it('rejected: what an earlier answer said is cleared, the error kept, held events withheld, one event', () => {
    const check = aCheck('Paid');
    check.known = { ...check.known, qvicklyStatus: 'Paid', orderid: 'P-1', currency: 'SEK', amount: '69500' };
    const record = conclude(check, { kind: 'error', code: '5201', message: 'Invoice does not exist' });
    expect(record.confirmation).toEqual({
      state: 'rejected',
      qvicklyStatus: null,
      orderid: null,
      currency: null,
      amount: null,
      relatedNumber: null,
      checkedAt: '2026-11-20T14:00:01.000Z',
      attempts: 1,
      error: { code: '5201', message: 'Invoice does not exist' },
    });
    expect([record.held, record.events.length, record.nextCheckAt]).toEqual(['withhold', 1, null]);
  });

  it('unavailable with time left: still pending, what was known kept, the error, retried after the backoff, no event, held events kept', () => {
    const check = aCheck('Paid', 3);
    check.known = { ...check.known, qvicklyStatus: 'Created', currency: 'SEK' };
    const record = conclude(check, { kind: 'unavailable', reason: 'http-status', detail: 'HTTP 500' });
    expect(record.confirmation).toEqual({
      ...check.known,
      state: 'pending',
      checkedAt: '2026-11-20T14:00:01.000Z',
      attempts: 4,
      error: { code: 'http-status', message: 'HTTP 500' },
    });
    // The 4th failure: half of min(10 s × 2³, 1 h) with the shortest jitter.
    expect(record.nextCheckAt).toBe(new Date(NOW.getTime() + 40_000).toISOString());
    expect([record.held, record.events]).toEqual(['keep', []]);
  });

  it('unavailable when the next try would fall after queuedAt + retryFor: unavailable for an operator, held events withheld, one event', () => {
    const record = conclude(aCheck('Paid', 7), { kind: 'unavailable', reason: 'timeout', detail: 'no complete answer within 10000 ms' }, {
      ...RETRY,
      retryForMs: 1_000,
    });
    expect(record.confirmation).toMatchObject({ state: 'unavailable', attempts: 8, error: { code: 'timeout', message: 'no complete answer within 10000 ms' } });
    expect([record.nextCheckAt, record.held, record.events.map((event) => event.type)]).toEqual([null, 'withhold', ['payment.confirmation_changed']]);
  });
});

describe('one check', () => {
  function aStore(recorded: boolean) {
    const calls: { records: ConfirmationRecord[]; released: unknown[] } = { records: [], released: [] };
    const store = {
      record: async (record: ConfirmationRecord) => {
        calls.records.push(record);
        return recorded;
      },
      release: async (lease: unknown) => {
        calls.released.push(lease);
      },
    } as unknown as ConfirmationStore;
    return { store, calls };
  }

  it('asks Qvickly with the company\'s account and the payment number, and records the conclusion', async () => {
    const { store, calls } = aStore(true);
    const asked: unknown[] = [];
    const qvickly = { getPaymentInfo: async (account: unknown, number: string) => (asked.push([account, number]), info('Paid')) };
    const report = await checkConfirmation({ store, qvickly, clock: () => NOW, random: () => 0, retry: RETRY }, aCheck());
    expect(asked).toEqual([[{ merchantId: '4711', secret: 'merchant-secret', test: false }, '810652']]);
    expect(calls.records).toHaveLength(1);
    expect(report).toMatchObject({ recorded: true, judgement: { verdict: 'confirmed' }, confirmation: { state: 'confirmed' } });
  });

  it('reports a result the store dropped (a newer check is due) as not recorded', async () => {
    const { store } = aStore(false);
    const qvickly = { getPaymentInfo: async () => info('Paid') };
    expect(await checkConfirmation({ store, qvickly, clock: () => NOW, random: () => 0, retry: RETRY }, aCheck())).toMatchObject({ recorded: false });
  });

  it('records nothing and releases the lease when the signal ended the check before Qvickly answered', async () => {
    const { store, calls } = aStore(true);
    const stop = new AbortController();
    const qvickly = {
      getPaymentInfo: async (): Promise<QvicklyReport> => {
        stop.abort();
        return { kind: 'unavailable', reason: 'aborted', detail: 'the caller stopped waiting' };
      },
    };
    expect(await checkConfirmation({ store, qvickly, clock: () => NOW, random: () => 0, retry: RETRY }, aCheck(), stop.signal)).toBeUndefined();
    expect(calls).toEqual({ records: [], released: [aCheck().lease] });
  });
});

describe('queuedConfirmation', () => {
  const confirmed = {
    state: 'confirmed' as const,
    qvicklyStatus: 'Paid',
    orderid: 'P123',
    currency: 'SEK',
    amount: '69500',
    relatedNumber: '699999',
    checkedAt: '2026-11-30T10:00:00.000Z',
    attempts: 2,
    error: { code: '9008', message: 'stale' },
  };

  it('starts a first check with nothing known', () => {
    const nothingKnown = { qvicklyStatus: null, orderid: null, currency: null, amount: null, relatedNumber: null, checkedAt: null };
    expect(queuedConfirmation(undefined)).toEqual({ state: 'pending', ...nothingKnown, attempts: 0, error: null });
  });

  it('keeps what Qvickly last said until it answers again, with the attempts reset and no error', () => {
    expect(queuedConfirmation(confirmed)).toEqual({ ...confirmed, state: 'pending', attempts: 0, error: null });
  });

  it('keeps the attempts of a check still pending (coalesced into it)', () => {
    expect(queuedConfirmation({ ...confirmed, state: 'pending', attempts: 3 })).toMatchObject({ state: 'pending', attempts: 3 });
  });
});
