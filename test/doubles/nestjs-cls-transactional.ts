/**
 * The unit tier's stand-in for `@nestjs-cls/transactional` (see `nestjs-cls.ts` beside this file
 * for why). `@Transactional()` leaves the method as it is: commit and rollback are proven against
 * PostgreSQL by the e2e tier, the unit tier tests the logic inside.
 */
export function Transactional(): MethodDecorator {
  return () => undefined;
}

export class TransactionHost {}

export class ClsPluginTransactional {}
