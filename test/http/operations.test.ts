import { readFileSync } from 'node:fs';
import { contractPath } from '../../src/paths';
import { aCallback, aMerchant } from '../support/callbacks';
import { describeStore } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

describeStore('the operational endpoints', () => {
  const context = useServiceOnFreshStore();

  it('serves the contract it validates with', async () => {
    const answer = await context.service.send('/openapi.yaml');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(answer.text).toBe(readFileSync(contractPath, 'utf8'));
  });

  it('counts callbacks by outcome and times the answers in /metrics', async () => {
    const merchant = await aMerchant(context.store);
    const paid = aCallback({ merchant, number: 'm-1', status: 'Paid' });
    await context.service.send(paid.path, paid.init);
    await context.service.send(paid.path, paid.init);
    const cancelled = aCallback({ merchant, number: 'm-2', status: 'Cancelled' });
    await context.service.send(cancelled.path, cancelled.init);
    const conflict = aCallback({ merchant, number: 'm-2', status: 'Paid' });
    await context.service.send(conflict.path, conflict.init);
    const forged = aCallback({ merchant: { ...merchant, secret: 'wrong' }, number: 'm-3' });
    await context.service.send(forged.path, forged.init);

    const answer = await context.service.send('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    const count = (outcome: string) => Number(new RegExp(`^qvickly_ipn_callbacks_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(answer.text)?.[1]);
    expect([count('applied'), count('duplicate'), count('conflict'), count('unauthenticated'), count('stale')]).toEqual([2, 1, 1, 1, 0]);
    expect(answer.text).toMatch(/^qvickly_ipn_request_duration_seconds_count\{status="200"\} 4$/m);
    expect(answer.text).toMatch(/^qvickly_ipn_request_duration_seconds_count\{status="401"\} 1$/m);
    expect(answer.text).toContain('process_resident_memory_bytes');
  });

  it('logs one line per callback with its outcome, never the secret or the hash', async () => {
    const merchant = await aMerchant(context.store, 'do-not-log-this-secret');
    const callback = aCallback({ merchant, number: 'l-1', status: 'Paid' });
    await context.service.send(callback.path, callback.init);
    const line = context.service.logs.find((entry) => entry.number === 'l-1');
    expect(line).toMatchObject({ msg: 'callback answered', status: 200, outcome: 'applied', paymentStatus: 'Paid', callbackId: expect.any(Number) });
    const hash = (JSON.parse(String(callback.init.body)) as { credentials: { hash: string } }).credentials.hash;
    const everything = JSON.stringify(context.service.logs);
    expect(everything).not.toContain('do-not-log-this-secret');
    expect(everything).not.toContain(hash);
  });

  it('answers other methods with 405 and unknown paths with 404, in the ErrorResponse shape', async () => {
    const post = await context.service.send('/health', { method: 'POST' });
    expect([post.status, post.headers.get('allow'), post.text]).toEqual([
      405,
      'GET',
      '{"ResponseStatus":{"ErrorCode":"MethodNotAllowed","Message":"POST is not allowed here; use GET","Errors":[]}}',
    ]);
    const missing = await context.service.send('/nowhere?format=xml');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('<ErrorCode>NotFound</ErrorCode><Message>No route matches GET /nowhere</Message>');
  });
});
