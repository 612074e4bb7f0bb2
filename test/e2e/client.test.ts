import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { callbackQuery, createIpnClient, sendCallback, signCallback, type CallbackRouting, type IpnClient } from '../../src/client/index';
import { runCli, startServiceProcess, type ServiceProcess } from '../support/processes';
import { vectors, type QvicklyVector } from '../support/vectors';

// The typed client partners import, against the built service run as `qvickly-ipn serve`, with
// each company's secret configured through the CLI as an operator would.

describe('the typed client against the built service', () => {
  let dir: string;
  let env: Record<string, string>;
  let service: ServiceProcess;
  let client: IpnClient;
  const companies = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-client-'));
    env = { DATABASE_URL: `sqlite:${path.join(dir, 'store.sqlite')}` };
    for (const vector of vectors) {
      const companyId = randomUUID();
      const result = await runCli(['company', 'set', companyId, '--secret', vector.secret], env);
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: `Company ${companyId} created\n` });
      companies.set(vector.id, companyId);
    }
    service = await startServiceProcess(env);
    client = createIpnClient(service.url);
  }, 45_000);

  afterAll(async () => {
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  function routingFor(vector: QvicklyVector): CallbackRouting {
    return callbackQuery({ secret: vector.secret, companyId: companies.get(vector.id) ?? '', bookingId: `B-${vector.id}`, articleTypeId: 1 });
  }

  it('uses at least the four shared vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(4);
  });

  it.each(vectors.map((vector) => [vector.id, vector] as const))(
    '%s: applied, then a duplicate, then the duplicate as CSV',
    async (_id, vector) => {
      const number = String(vector.data.number);
      const status = String(vector.data.status);
      const signed = signCallback(vector.secret, vector.data);
      // The client signs what PHP signs, so the hash is the one Qvickly would send.
      expect(signed.signedData).toBe(vector.signed_string);
      expect(signed.hash).toBe(vector.hash);

      const first = await sendCallback(client, routingFor(vector), signed);
      expect({ status: first.response.status, data: first.data, error: first.error }).toEqual({
        status: 200,
        data: { Message: `Payment ${number} is now ${status}`, Success: true },
        error: undefined,
      });

      const again = await sendCallback(client, routingFor(vector), signed);
      expect({ status: again.response.status, data: again.data }).toEqual({
        status: 200,
        data: { Message: `Callback already received for payment ${number}; nothing changed`, Success: true },
      });

      const csv = await sendCallback(client, routingFor(vector), signed, 'text/csv');
      expect({ status: csv.response.status, type: csv.response.headers.get('content-type'), data: csv.data }).toEqual({
        status: 200,
        type: 'text/csv',
        data: `Message,Success\r\nCallback already received for payment ${number}; nothing changed,True\r\n`,
      });
    },
  );

  it('gets the typed 401 error for a callback signed with another secret', async () => {
    const vector = vectors[0]!;
    const signed = signCallback(`not-${vector.secret}`, { ...vector.data, number: `${String(vector.data.number)}9` });
    const { data, error, response } = await sendCallback(client, routingFor(vector), signed);
    expect({ status: response.status, data, error }).toEqual({
      status: 401,
      data: undefined,
      error: { ResponseStatus: { ErrorCode: 'Unauthorized', Message: 'The callback could not be authenticated', Errors: [] } },
    });
  });
});
