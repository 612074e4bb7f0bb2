import type pg from 'pg';
import { StoreUnavailableError } from '../../ipn/ports';
import type { Row } from '../rows';
import { isDatabaseFailure, storable } from './values';

/**
 * One statement on the pool; a database failure becomes StoreUnavailableError. A `name` makes
 * it a prepared statement (parsed and planned once per connection): for the callback's path.
 */
export async function queryPool<R extends pg.QueryResultRow = Row>(pool: pg.Pool, text: string, values: unknown[] = [], name?: string): Promise<pg.QueryResult<R>> {
  if (pool.ended) throw new StoreUnavailableError('the store is closed');
  try {
    return await pool.query<R>({ text, values: storable(values), ...(name === undefined ? {} : { name }) });
  } catch (error) {
    throw isDatabaseFailure(error) ? new StoreUnavailableError('PostgreSQL query failed', { cause: error }) : error;
  }
}

/** Runs `work` in a transaction on one connection of the pool: committed, or rolled back and thrown. */
export async function transactionOn<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (pool.ended) throw new StoreUnavailableError('the store is closed');
  const client = await connectTo(pool);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw isDatabaseFailure(error) ? new StoreUnavailableError('PostgreSQL write failed', { cause: error }) : error;
  } finally {
    client.release();
  }
}

/** A connection of the pool; an unreachable server becomes StoreUnavailableError. */
export async function connectTo(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw new StoreUnavailableError('PostgreSQL cannot be reached', { cause: error });
  }
}
