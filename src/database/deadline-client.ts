import pg from 'pg';

/** The message of pg's error for a query the server did not answer within `query_timeout`. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

type AnyQuery = (...args: unknown[]) => unknown;

/**
 * The pool's client class (pg-pool's `Client` option).
 *
 * pg's `query_timeout` fails a query the server never answers (a hung or partitioned database,
 * where the server's own `statement_timeout` cannot fire), but it leaves that query pending on the
 * connection. Two things then go wrong:
 * - the ROLLBACK that TypeORM sends next queues behind the dead query, and waits a second full
 *   timeout before the request can answer;
 * - TypeORM gives the client back to the pool without an error, so pg-pool keeps it, and the next
 *   request borrows a connection whose server session may still be in the timed-out transaction.
 *
 * So on the first read timeout the client is ended at once. With a query still active, pg destroys
 * the socket instead of waiting for the server; queries queued behind fail immediately ("Client was
 * closed"), and pg-pool discards a client that is ending when it is released instead of pooling it.
 *
 * Only promise-style queries are watched: that is how TypeORM queries. `pool.query()` (callback
 * style, used by `queryPrepared`) already releases its client with the error, which discards it.
 */
export class DeadlineClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as AnyQuery;
    const watched: AnyQuery = (...args) => {
      const result = query(...args);
      // Attached before the caller's own handler, so the client is ending before it can react.
      if (result instanceof Promise) result.catch((error: unknown) => this.endAfterTimeout(error));
      return result;
    };
    this.query = watched as pg.Client['query'];
  }

  private endAfterTimeout(error: unknown): void {
    if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) void this.end();
  }
}
