import type { FastifyReply, FastifyRequest } from 'fastify';
import { setCursorPageHeaders, setPageHeaders } from '../common/http/pagination.js';
import { encodeCursor } from './list-cursor.js';
import type { UserListPaging } from './user-list-query.js';
import type { UserPage } from './users.service.js';

/** `Total-Number` and `Link` of a users page, for numbered or keyset paging (every route that lists users). */
export function setUserPageHeaders(
  reply: FastifyReply,
  request: FastifyRequest,
  endpoint: string,
  paging: UserListPaging,
  { users, total, capped, hasMore }: UserPage,
): void {
  if (paging.kind === 'keyset') {
    const last = users.at(-1);
    const nextCursor = hasMore && last ? encodeCursor({ createdAtMs: last.createdAt.getTime(), id: last.id }) : undefined;
    setCursorPageHeaders(reply, request, endpoint, { total, capped, nextCursor });
  } else {
    setPageHeaders(reply, request, endpoint, paging, total, { capped, hasNext: hasMore });
  }
}
