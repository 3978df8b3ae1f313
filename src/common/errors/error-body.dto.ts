/** Logto's error body. `data` and `details` appear only where they carry something. */
export class ErrorBodyDto {
  /** Stable error code, e.g. `user.email_already_in_use`. */
  code!: string;
  /** Extra structured context (for validation errors: the list of issues). */
  data?: Record<string, unknown>;
  /** Validation failures, one `Error in key path "…": …` line each. */
  details?: string;
  /** Human-readable English message. */
  message!: string;
}

/** The answer to a body that is not valid JSON: `{ message }` only, without `code`, as Logto answers it. */
export class MalformedJsonBodyDto {
  /** The JSON parser's message. */
  message!: string;
}
