/** An audit log entry as `GET /api/logs` returns it. */
export class LogEntryDto {
  /** Always `default` (single tenant). */
  tenantId!: string;
  /** 21 characters of `[0-9a-z]`. */
  id!: string;
  /** e.g. `ManagementApi.User.Update`, `ExchangeTokenBy.ClientCredentials`. */
  key!: string;
  /** `key`, `result` (`Success`/`Error`), and where known `userId` (the target user), `applicationId` (the caller), `ip`, `userAgent`, `params` (secrets masked as `******`), `error`. */
  payload!: Record<string, unknown>;
  /** Epoch milliseconds. */
  createdAt!: number;
}
