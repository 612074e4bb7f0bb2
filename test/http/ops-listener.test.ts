import { existsSync, readFileSync } from 'node:fs';
import { contractPath, docsPath, eventsDocsPath } from '../../src/paths';
import { aCallback, aMerchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

const ROUTE = '/payment/billmate/v1/ipncallback';

interface Seen {
  status: number;
  text: string;
  headers: Headers;
}

/** Plain fetch: answers that only exist with OPS_PORT (a 404 for /health) are not in the contract. */
async function get(base: string | undefined, path: string, init?: RequestInit): Promise<Seen> {
  if (!base) throw new Error('no listener');
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const notFound = (method: string, path: string) =>
  `{"ResponseStatus":{"ErrorCode":"NotFound","Message":"No route matches ${method} ${path}","Errors":[]}}`;

describeStore('OPS_PORT: /health and /metrics on a listener of their own', () => {
  const context = useServiceOnFreshStore({ environment: { OPS_PORT: '0', TRUST_PROXY: 'loopback' } });

  it('serves /health and /metrics on the ops listener and 404 on the public one', async () => {
    const { service } = context;
    expect(service.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(service.opsUrl).not.toBe(service.url);
    const health = await (get(service.opsUrl, '/health'));
    expect([health.status, JSON.parse(health.text).status]).toEqual([200, 'ok']);
    const metrics = await (get(service.opsUrl, '/metrics'));
    expect([metrics.status, metrics.text.includes('qvickly_ipn_callbacks_total')]).toEqual([200, true]);
    for (const path of ['/health', '/metrics']) {
      const answer = await (get(service.url, path));
      expect([path, answer.status, answer.text]).toEqual([path, 404, notFound('GET', path)]);
    }
  });

  it('keeps callbacks, /openapi.yaml, /docs and /docs/events public: 404 on the ops listener', async () => {
    const { service, store } = context;
    const merchant = await aMerchant(store);
    const callback = aCallback({ merchant, number: 'ops-1' });
    const onOps = await (get(service.opsUrl, callback.path, callback.init));
    expect([onOps.status, onOps.text]).toEqual([404, notFound('POST', ROUTE)]);
    expect(await store.listCallbacks({ companyId: merchant.companyId })).toEqual([]);
    const onPublic = await (get(service.url, callback.path, callback.init));
    expect([onPublic.status, onPublic.text]).toEqual([200, '{"Message":"Payment ops-1 is now Paid","Success":true}']);
    const counted = await (get(service.opsUrl, '/metrics'));
    expect(counted.text).toMatch(/^qvickly_ipn_callbacks_total\{outcome="applied"\} 1$/m);

    const contract = await (get(service.url, '/openapi.yaml'));
    expect([contract.status, contract.text]).toEqual([200, readFileSync(contractPath, 'utf8')]);
    for (const [path, file, title] of [['/docs', docsPath, 'Qvickly'], ['/docs/events', eventsDocsPath, 'payment.status_changed']] as const) {
      const docs = await get(service.url, path);
      if (existsSync(file)) {
        expect([path, docs.status, docs.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
        expect(docs.text).toContain(title);
      } else expect([path, docs.status, docs.text]).toEqual([path, 404, expect.stringContaining('The reference has not been built; run npm run build')]);
    }
    for (const path of ['/openapi.yaml', '/docs', '/docs/events']) {
      const answer = await (get(service.opsUrl, path));
      expect([path, answer.status, answer.text]).toEqual([path, 404, notFound('GET', path)]);
    }
  });

  it('sends X-Content-Type-Options: nosniff with every answer, on both listeners', async () => {
    const { service, store } = context;
    const merchant = await aMerchant(store);
    const callback = aCallback({ merchant, number: 'nosniff-1' });
    const forged = aCallback({ merchant: { ...merchant, secret: 'guessed' }, number: 'nosniff-2' });
    const seen = await Promise.all([
      get(service.opsUrl, '/health'),
      get(service.opsUrl, '/metrics'),
      get(service.opsUrl, '/nowhere'),
      get(service.opsUrl, '/health', { method: 'POST' }), // 405
      get(service.url, '/health'), // 404
      get(service.url, '/openapi.yaml'),
      get(service.url, '/docs'),
      get(service.url, callback.path, callback.init), // 200
      get(service.url, forged.path, forged.init), // 401
      get(service.url, ROUTE, { method: 'GET' }), // 405
      get(service.url, `${ROUTE}.xml`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: 'x' }), // 415 in XML
      get(service.url, `${ROUTE}?format=csv`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' }), // 400 in CSV
      get(service.url, `${ROUTE}?format=jsv`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(70_000) }), // 413 in JSV
    ]);
    expect(seen.map((answer) => answer.status)).toEqual([200, 200, 404, 405, 404, 200, existsSync(docsPath) ? 200 : 404, 200, 401, 405, 415, 400, 413]);
    expect(seen.filter((answer) => answer.headers.get('x-content-type-options') !== 'nosniff').map((answer) => answer.status)).toEqual([]);
  });

  it('with TRUST_PROXY=loopback, stores the X-Forwarded-For client as the remote address (the rightmost address not trusted)', async () => {
    const { service, store } = context;
    const merchant = await aMerchant(store);
    for (const [number, forwardedFor] of [
      ['xff-1', '203.0.113.7'],
      ['xff-2', '198.51.100.99, 203.0.113.8'],
    ] as const) {
      const callback = aCallback({ merchant, number });
      const headers = { ...(callback.init.headers as Record<string, string>), 'X-Forwarded-For': forwardedFor };
      expect((await get(service.url, callback.path, { ...callback.init, headers })).status).toBe(200);
    }
    const rows = await store.listCallbacks({ companyId: merchant.companyId });
    expect(rows.map((row) => [row.number, row.remoteAddress])).toEqual([
      ['xff-2', '203.0.113.8'],
      ['xff-1', '203.0.113.7'],
    ]);
  });
});

describeStore('without TRUST_PROXY', () => {
  const context = useServiceOnFreshStore();

  it('stores the socket peer as the remote address, whatever X-Forwarded-For claims', async () => {
    const merchant = await aMerchant(context.store);
    const callback = aCallback({ merchant, number: 'peer-1' });
    const headers = { ...(callback.init.headers as Record<string, string>), 'X-Forwarded-For': '203.0.113.7' };
    expect((await context.service.send(callback.path, { ...callback.init, headers })).status).toBe(200);
    const [row] = await context.store.listCallbacks({ companyId: merchant.companyId });
    expect(row?.remoteAddress).toBe('127.0.0.1');
  });

  it('serves /health and /metrics on the public listener when OPS_PORT is unset', async () => {
    expect(context.service.opsUrl).toBeUndefined();
    expect((await context.service.send('/health')).status).toBe(200);
    expect((await context.service.send('/metrics')).status).toBe(200);
  });
});
