import pg from 'pg';

/** The message of pg's error for a query the server did not answer within `query_timeout`. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

type AnyQuery = (...args: unknown[]) => unknown;

/**
 * The pool's client class: on its first `query_timeout` (a server that answers nothing) it ends
 * itself, so the dead query cannot hold the ROLLBACK behind it and pg-pool discards the client
 * instead of lending out a session that may still be in the timed-out transaction (F6 in
 * docs/reliability.md). Only promise-style queries (TypeORM's) are watched: `pool.query()` already
 * discards a client that failed.
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
