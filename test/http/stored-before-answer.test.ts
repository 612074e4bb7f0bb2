import { gzipSync } from 'node:zlib';
import { signCallback } from '../../src/client/sign';
import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';
import { refuseWrites } from '../support/unwritable';

const ROUTE = '/payment/billmate/v1/ipncallback';

interface Refused {
  title: string;
  contentType: string;
  contentEncoding?: string;
  body: (merchant: Merchant, number: string) => Buffer;
  status: number;
  outcome: string;
  reason: (body: Buffer) => string;
}

const signedJson = (merchant: Merchant, number: string) => Buffer.from(signCallback(merchant.secret, { number, status: 'Paid', orderid: 'O', url: '' }).jsonBody);

// Each kind of delivery that cannot be decoded: its answer, and the inbox row that must precede it.
const REFUSED: Refused[] = [
  {
    title: 'a signed JSON body labelled application/xml (415)',
    contentType: 'application/xml',
    body: signedJson,
    status: 415,
    outcome: 'unsupported',
    reason: () => "Content-Type 'application/xml' is not supported",
  },
  {
    title: 'a JSON syntax error (400)',
    contentType: 'application/json',
    body: (_merchant, number) => Buffer.from(`{"credentials":{"hash":"ab"},"data":{"number":"${number}","status":"Paid"}`),
    status: 400,
    outcome: 'undeserializable',
    reason: (body) => `CloseBraceExpected at position ${body.length}`,
  },
  {
    title: 'invalid UTF-8 (400)',
    contentType: 'application/json',
    body: (_merchant, number) => Buffer.concat([Buffer.from(`{"data":{"number":"${number}","status":"Pa`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('id"}}')]),
    status: 400,
    outcome: 'undeserializable',
    reason: () => 'the body is not valid UTF-8',
  },
  {
    title: 'a gzip Content-Encoding (415)',
    contentType: 'application/json',
    contentEncoding: 'gzip',
    body: (merchant, number) => gzipSync(signedJson(merchant, number)),
    status: 415,
    outcome: 'unsupported',
    reason: () => "Content-Encoding 'gzip' is not supported",
  },
];

describeStore('nothing is lost for its content type: every delivery is stored, bytes as sent, before it is answered', () => {
  const context = useServiceOnFreshStore();
  let merchant: Merchant;
  beforeAll(async () => {
    merchant = await aMerchant(context.store);
  });

  const post = (number: string, refused: Refused) => {
    const body = refused.body(merchant, number);
    const headers: Record<string, string> = { 'Content-Type': refused.contentType };
    if (refused.contentEncoding) headers['Content-Encoding'] = refused.contentEncoding;
    return { body, answer: context.service.send(`${ROUTE}?CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1&n=${number}`, { method: 'POST', headers, body }) };
  };

  it.each(REFUSED.map((refused, index) => [refused.title, refused, index] as const))('stores %s with its outcome, reason and exact bytes', async (_title, refused, index) => {
    const number = `ct-${index}`;
    const { body, answer } = post(number, refused);
    expect((await answer).status).toBe(refused.status);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 });
    expect(row).toMatchObject({
      outcome: refused.outcome,
      reason: refused.reason(body),
      contentType: refused.contentType,
      contentEncoding: refused.contentEncoding ?? null,
      query: `CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=1&n=${number}`,
      authentic: false,
    });
    expect(row?.body.equals(body)).toBe(true);
  });

  it('applies a JSON callback labelled text/plain', async () => {
    const callback = aCallback({ merchant, number: 'ct-plain' });
    const answer = await context.service.send(callback.path, { ...callback.init, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    expect([answer.status, answer.text]).toEqual([200, '{"Message":"Payment ct-plain is now Paid","Success":true}']);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 });
    expect(row).toMatchObject({ outcome: 'applied', contentType: 'text/plain; charset=utf-8', body: Buffer.from(String(callback.init.body)) });
  });

  // A 400 or 415 tells the sender its delivery was received and judged; if its row were not yet
  // committed, that delivery could be lost without a trace while the sender stops retrying it.
  // With the store refusing writes, none of them may be answered with anything but 503.
  it('answers every undecodable or invalid delivery 503, not 400/415, while writes are refused, and stores nothing', async () => {
    const before = await context.store.listCallbacks({ limit: 100_000 });
    const release = await refuseWrites(context.database);
    let answers;
    try {
      const sent = [...REFUSED.map((refused, index) => post(`ct-refused-${index}`, refused).answer)];
      sent.push(
        context.service.send(`${ROUTE}?CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=x`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: signedJson(merchant, 'ct-refused-invalid'),
        }),
      );
      answers = await Promise.all(sent);
    } finally {
      await release();
    }
    expect(answers.map((answer) => [answer.status, JSON.parse(answer.text).ResponseStatus.ErrorCode])).toEqual(
      Array.from({ length: REFUSED.length + 1 }, () => [503, 'ServiceUnavailable']),
    );
    expect(await context.store.listCallbacks({ limit: 100_000 })).toEqual(before);
    // The same invalid delivery, once the store writes again: 400, and its row.
    const retried = await context.service.send(`${ROUTE}?CompanyId=${merchant.companyId}&BookingId=B&ArticleTypeId=x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: signedJson(merchant, 'ct-refused-invalid'),
    });
    expect(retried.status).toBe(400);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1 });
    expect(row).toMatchObject({ outcome: 'invalid', number: 'ct-refused-invalid', reason: "'x' is an Invalid value for 'ArticleTypeId'" });
  });
});
