import { RequestError } from '../common/errors/request-error.js';
import type { ListPosition } from './user-list-query.js';

/**
 * Keyset cursors are opaque to clients: base64url of `<createdAt epoch ms>.<user id>`, the position
 * of the last user of the previous page.
 */
export function encodeCursor({ createdAtMs, id }: ListPosition): string {
  return Buffer.from(`${createdAtMs}.${id}`, 'utf8').toString('base64url');
}

/** `""` starts from the newest user; anything unreadable is 400 `guard.invalid_pagination`. */
export function decodeCursor(cursor: string): ListPosition | undefined {
  if (cursor === '') return undefined;
  const [, createdAt, id] = /^(\d{1,15})\.([\w-]{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) ?? [];
  if (createdAt === undefined || id === undefined || encodeCursor({ createdAtMs: Number(createdAt), id }) !== cursor) {
    throw new RequestError('guard.invalid_pagination');
  }
  return { createdAtMs: Number(createdAt), id };
}
