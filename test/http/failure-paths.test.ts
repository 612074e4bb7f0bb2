import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { rawWrite } from '../support/raw-rows';
import { describeStore, engine, type TestDatabase } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

/*
 * One-line breakages no test used to catch, and the test that now fails for each (each was
 * tried once by hand, and reverted):
 *
 * 1. Hashes compared with `===` instead of crypto.timingSafeEqual (src/ipn/signature.ts):
 *    test/unit/hash-comparison.test.ts, every test.
 * 2. Each callback answered before its batch's COMMIT (src/store/sqlite/group-commit.ts, resolving
 *    each item right after its work): "a COMMIT that fails answers every callback of the batch 503".
 * 3. A failed COMMIT ignored (group-commit.ts, the COMMIT's error swallowed): the same test.
 * 4. An SQLite error inside a statement mapped to 500 instead of 503 (group-commit.ts, the
 *    SqliteError passed on as it is): "a statement that fails inside the write is 503".
 * 5. A 400 answered before its inbox row is committed (src/http/callback.ts, recordRefusal not
 *    awaited): test/http/stored-before-answer.test.ts, "answers every undecodable or invalid
 *    delivery 503 … while writes are refused".
 * 6. `Accept` winning over `?format=` (src/http/formats/index.ts, negotiateFormat's order):
 *    "?format= wins over Accept".
 * 7. The duplicate check moved before the unknown-status check (src/ipn/settle.ts): "an
 *    unrecognised status sent again is unrecognised again". Moving the block alone changes
 *    nothing, since an unrecognised callback claims no fingerprint; the test fails once the
 *    moved check also lets it claim one (a repeat would then be a `duplicate`, Success:true).
 * 8. The JSV writer not quoting a value that contains only a `:` (src/http/formats/jsv.ts):
 *    "a JSV answer quotes a message with a colon", and test/unit/answer-writers.test.ts.
 */

/** Runs SQL on the test database from a connection of its own, as an operator (or a fault) would. */
async function onDatabase(database: TestDatabase, sql: string): Promise<void> {
  await rawWrite(database, { sqlite: sql, postgres: sql });
}

// Every statement succeeds; the transaction fails only when it commits.
const FAILING_COMMIT = {
  sqlite: `
    CREATE TABLE commit_target (id INTEGER PRIMARY KEY);
    CREATE TABLE commit_guard (callback_id INTEGER REFERENCES commit_target (id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER fail_commit AFTER INSERT ON callbacks BEGIN INSERT INTO commit_guard VALUES (NEW.callback_id); END;`,
  postgres: `
    CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the commit fails'; END $$;
    CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON callbacks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();`,
};
const FAILING_COMMIT_REMOVED = {
  sqlite: 'DROP TRIGGER fail_commit; DROP TABLE commit_guard; DROP TABLE commit_target;',
  postgres: 'DROP TRIGGER fail_commit ON callbacks; DROP FUNCTION fail_commit();',
};
// The inbox INSERT itself fails.
const FAILING_STATEMENT = {
  sqlite: "CREATE TRIGGER fail_insert BEFORE INSERT ON callbacks BEGIN SELECT RAISE(ABORT, 'the insert fails'); END;",
  postgres: `
    CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the insert fails'; END $$;
    CREATE TRIGGER fail_insert BEFORE INSERT ON callbacks FOR EACH ROW EXECUTE FUNCTION fail_insert();`,
};
const FAILING_STATEMENT_REMOVED = {
  sqlite: 'DROP TRIGGER fail_insert;',
  postgres: 'DROP TRIGGER fail_insert ON callbacks; DROP FUNCTION fail_insert();',
};

describeStore('failure paths', () => {
  const context = useServiceOnFreshStore();
  let merchant: Merchant;
  beforeAll(async () => {
    merchant = await aMerchant(context.store);
  });

  /** A batch's worth of callbacks at once: new payments, a repeat-free mix, and a forged one. */
  const aBatch = (prefix: string) => [
    ...Array.from({ length: 6 }, (_, index) => aCallback({ merchant, number: `${prefix}-${index}` })),
    aCallback({ merchant: { ...merchant, secret: 'guessed' }, number: `${prefix}-forged` }),
  ];
  const sendAll = (callbacks: Array<ReturnType<typeof aCallback>>) =>
    Promise.all(callbacks.map((callback) => context.service.send(callback.path, callback.init)));
  const rowsOf = async (prefix: string) =>
    (await context.store.listCallbacks({ companyId: merchant.companyId, limit: 1000 })).filter((row) => row.number?.startsWith(prefix));

  it.each([
    ['a COMMIT that fails', 'commit', FAILING_COMMIT, FAILING_COMMIT_REMOVED],
    ['a statement that fails inside the write', 'statement', FAILING_STATEMENT, FAILING_STATEMENT_REMOVED],
  ] as const)('%s: every callback of the batch is answered 503 (never 200, never 500) and nothing is stored; the retry is stored', async (_title, prefix, fault, removed) => {
    const batch = aBatch(prefix);
    await onDatabase(context.database, fault[engine]);
    let answers;
    try {
      answers = await sendAll(batch);
    } finally {
      await onDatabase(context.database, removed[engine]);
    }
    expect(answers.map((answer) => [answer.status, JSON.parse(answer.text).ResponseStatus?.ErrorCode])).toEqual(
      batch.map(() => [503, 'ServiceUnavailable']),
    );
    expect(await rowsOf(prefix)).toEqual([]);
    expect(await context.store.findPayment(merchant.companyId, `${prefix}-0`)).toBeUndefined();
    expect((await context.service.send('/health')).status).toBe(503);

    const retried = await sendAll(batch);
    expect(retried.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 401]);
    expect((await rowsOf(prefix)).map((row) => row.outcome).sort()).toEqual(['applied', 'applied', 'applied', 'applied', 'applied', 'applied', 'unauthenticated']);
    expect((await context.service.send('/health')).status).toBe(200);
  });

  it('?format= wins over Accept', async () => {
    const callback = aCallback({ merchant, number: 'fmt-1', accept: 'text/csv' });
    const answer = await context.service.send(`${callback.path}&format=xml`, callback.init);
    expect([answer.status, answer.headers.get('content-type')]).toEqual([200, 'application/xml']);
    expect(answer.text).toContain('<Message>Payment fmt-1 is now Paid</Message>');
    const byAccept = await context.service.send(callback.path, callback.init);
    expect([byAccept.headers.get('content-type'), byAccept.text]).toEqual([
      'text/csv',
      'Message,Success\r\nCallback already received for payment fmt-1; nothing changed,True\r\n',
    ]);
  });

  it('an unrecognised status sent again is unrecognised again (Success:false), not a duplicate', async () => {
    const callback = aCallback({ merchant, number: 'unk-1', status: 'Sideways' });
    const message = `{"Message":"Unrecognised payment status 'Sideways'; recorded, payment unk-1 not changed","Success":false}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await context.service.send(callback.path, callback.init);
      expect([attempt, answer.status, answer.text]).toEqual([attempt, 200, message]);
    }
    const rows = await context.store.listCallbacks({ companyId: merchant.companyId, limit: 2 });
    expect(rows.map((row) => [row.number, row.outcome, row.duplicateOf])).toEqual([
      ['unk-1', 'unrecognised', null],
      ['unk-1', 'unrecognised', null],
    ]);
    expect(await context.store.findPayment(merchant.companyId, 'unk-1')).toBeUndefined();
  });

  it('a JSV answer quotes a message with a colon (and no other special character)', async () => {
    const callback = aCallback({ merchant, number: 'n:1', accept: 'application/jsv' });
    const answer = await context.service.send(callback.path, callback.init);
    expect([answer.status, answer.headers.get('content-type'), answer.text]).toEqual([
      200,
      'application/jsv',
      '{Message:"Payment n:1 is now Paid",Success:True}',
    ]);
  });
});
