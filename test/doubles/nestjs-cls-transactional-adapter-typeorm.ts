/** The unit tier's stand-in for `@nestjs-cls/transactional-adapter-typeorm` (see `nestjs-cls.ts`). */
export class TransactionalAdapterTypeOrm {}
