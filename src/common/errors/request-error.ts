import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** Why a 503 was answered, for the metrics (README, "Metrics"); never sent. */
export type UnavailableCause = 'statement_timeout' | 'database_unavailable' | 'shutting_down';

export interface RequestErrorOptions {
  /** Values for the `{{placeholders}}` of the code's message. */
  interpolation?: Record<string, string | number>;
  /** Serialised into the body's `data` field. */
  data?: unknown;
  /** Serialised into the body's `details` field (validation errors). */
  details?: string;
  /** Response headers that belong to this error (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  /** Set on every `service.unavailable`. */
  unavailableCause?: UnavailableCause;
}

/** The one error type of the API: a Logto error code, its HTTP status and the client-facing body. */
export class RequestError extends Error {
  readonly status: number;
  readonly data?: unknown;
  readonly details?: string;
  readonly headers?: Record<string, string>;
  readonly unavailableCause?: UnavailableCause;

  constructor(
    readonly code: ErrorCode,
    options: RequestErrorOptions = {},
  ) {
    const { status, message } = ERROR_CODES[code];
    super(message.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => String(options.interpolation?.[key] ?? '')));
    this.name = 'RequestError';
    this.status = status;
    this.data = options.data;
    this.details = options.details;
    this.headers = options.headers;
    this.unavailableCause = options.unavailableCause;
  }

  /** The response body, keys in Logto's order: code, data, details, message. */
  toBody(): Record<string, unknown> {
    return {
      code: this.code,
      ...(this.data === undefined ? {} : { data: this.data }),
      ...(this.details === undefined ? {} : { details: this.details }),
      message: this.message,
    };
  }
}
