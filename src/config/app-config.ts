import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_HASH_CONCURRENCY } from '../common/cpu-bound.js';

const booleanFromEnv = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  return value;
};

const numberFromEnv = ({ value }: { value: unknown }): unknown => (value === undefined || value === '' ? undefined : Number(value));

const DEFAULT_SHUTDOWN_DRAIN_MS = 1000;

function applyAll(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** An optional integer variable within `[min, max]`; the message names the range (and `unit`). */
function EnvInt({ min, max, unit }: { min: 0 | 1; max?: number; unit?: string }): PropertyDecorator {
  const range = max !== undefined ? `an integer between ${min} and ${max}` : min === 0 ? 'an integer of 0 or more' : 'a positive integer';
  const message = `must be ${range}${unit ? ` (${unit})` : ''}`;
  return applyAll(
    IsOptional(),
    Transform(numberFromEnv),
    IsInt({ message }),
    Min(min, { message }),
    ...(max === undefined ? [] : [Max(max, { message })]),
  );
}

/** An optional variable that must match `pattern`. */
function EnvMatching(pattern: RegExp, message: string): PropertyDecorator {
  return applyAll(IsOptional(), Matches(pattern, { message }));
}

/**
 * The environment variables Roster reads: each one's rule and default (what an unset or empty
 * variable means), as README's configuration table lists them.
 */
class EnvironmentVariables {
  @EnvInt({ min: 0, max: 65535 }) PORT = 3001;
  @EnvInt({ min: 1, max: 65535 }) METRICS_PORT?: number;
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be an absolute http(s) URL' })
  ENDPOINT?: string;
  @EnvMatching(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// connection URL') DATABASE_URL?: string;
  @IsOptional() @IsString() DATA_DIR = './data';
  @EnvMatching(/^\S+$/, 'must be a non-empty resource indicator without spaces') MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';
  @IsOptional() @Transform(booleanFromEnv) @IsBoolean({ message: 'must be true or false' }) USERNAME_CASE_SENSITIVE = true;
  @EnvMatching(/^[\w.~-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _, ., ~ and -') BOOTSTRAP_CLIENT_ID?: string;
  @EnvMatching(/^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 printable ASCII characters without spaces') BOOTSTRAP_CLIENT_SECRET?: string;
  @EnvInt({ min: 1 }) PASSWORD_VERIFY_MAX_ATTEMPTS = 10;
  @EnvInt({ min: 1 }) PASSWORD_VERIFY_WINDOW_SECONDS = 300;
  @EnvInt({ min: 1 }) TOKEN_MAX_ATTEMPTS = 20;
  @EnvInt({ min: 1 }) TOKEN_WINDOW_SECONDS = 300;
  @EnvInt({ min: 1 }) TOKEN_FAILURES_PER_IP = 100;
  @EnvInt({ min: 1, unit: 'seconds' }) TOKEN_IP_WINDOW_SECONDS = 60;
  @EnvInt({ min: 1, max: 36_500, unit: 'days' }) LOG_RETENTION_DAYS?: number;
  @EnvInt({ min: 1, unit: 'milliseconds' }) HOUSEKEEPING_INTERVAL_MS = 60_000;
  @EnvInt({ min: 1, max: 100_000 }) HOUSEKEEPING_BATCH_SIZE = 1000;
  @EnvInt({ min: 1, unit: 'seconds' }) SHUTDOWN_GRACE_SECONDS = 10;
  @EnvInt({ min: 0, unit: 'milliseconds' }) SHUTDOWN_DRAIN_MS?: number;
  @EnvInt({ min: 1, unit: 'milliseconds' }) STATEMENT_TIMEOUT_MS = 5000;
  @EnvInt({ min: 1 }) HASH_CONCURRENCY = DEFAULT_HASH_CONCURRENCY;
  @EnvMatching(/^[^,\s]+(\s*,\s*[^,\s]+)*$/, 'must be a comma-separated list of addresses, CIDR ranges or loopback, linklocal, uniquelocal')
  TRUST_PROXY?: string;
  @EnvMatching(/^(fatal|error|warn|log|debug|verbose)$/, 'must be one of fatal, error, warn, log, debug, verbose') LOG_LEVEL = 'log';
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export interface AppConfig {
  port: number;
  /** Where Prometheus metrics are served (`GET /metrics`); unset: nowhere. */
  metricsPort?: number;
  /** Public base URL without a trailing slash; used for Link headers and, later, the token issuer. */
  endpoint: string;
  /** Unset means: start the embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  managementApiResource: string;
  /** Token issuer: `$ENDPOINT/oidc`. */
  issuer: string;
  /** When set, start-up makes sure this machine-to-machine application exists with scope `all`. */
  bootstrapClient?: { id: string; secret: string };
  usernameCaseSensitive: boolean;
  /** Failed `POST /api/users/:userId/password/verify` attempts allowed per user and window. */
  passwordVerifyLimit: { limit: number; windowSeconds: number };
  /** Failed `POST /oidc/token` attempts allowed per client id and window. */
  tokenLimit: { limit: number; windowSeconds: number };
  /**
   * Failed `POST /oidc/token` requests allowed per client address and window, whatever client id
   * they name; also the window in which refusals (429) of one address are folded into one audit row.
   */
  tokenIpLimit: { limit: number; windowSeconds: number };
  /** Audit rows older than this many days are purged; unset keeps them forever. */
  logRetentionDays?: number;
  /** How often each replica tries to purge (one replica at a time), and rows deleted per statement. */
  housekeeping: { intervalMs: number; batchSize: number };
  /** How long SIGTERM waits for in-flight requests before exiting anyway. */
  shutdownGraceSeconds: number;
  /**
   * After SIGTERM, how long the service keeps accepting and serving while `GET /api/status`
   * already answers 503, so a load balancer stops routing to it first. Part of the grace period.
   */
  shutdownDrainMs: number;
  /** Every SQL statement of a request is cancelled after this; the request then answers 503. */
  statementTimeoutMs: number;
  /** Password and secret hashes (and verifications) allowed to run at once; the rest queue. */
  hashConcurrency: number;
  /**
   * Proxies (addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`) whose
   * `X-Forwarded-For` is believed for the client address; empty: the socket's peer is the client.
   */
  trustProxy: string[];
  logLevel: LogLevel;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Whether `entry` is something `proxy-addr` (Fastify's `trustProxy`) understands: a name, an address or a CIDR range. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n${problems.map((line) => `  - ${line}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Secrets are never echoed back, not even in a configuration error. */
function describeValue(property: string, value: unknown): string {
  return /SECRET/.test(property) ? '(hidden)' : JSON.stringify(value);
}

/** Reads and validates the environment once at boot; every bad variable is named in the error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = plainToInstance(EnvironmentVariables, present);
  const errors = validateSync(parsed, { whitelist: false, forbidUnknownValues: false });
  const problems = errors.map(
    (error) => `${error.property}=${describeValue(error.property, error.value)}: ${Object.values(error.constraints ?? {}).join('; ')}`,
  );
  if ((parsed.BOOTSTRAP_CLIENT_ID === undefined) !== (parsed.BOOTSTRAP_CLIENT_SECRET === undefined)) {
    problems.push('BOOTSTRAP_CLIENT_ID and BOOTSTRAP_CLIENT_SECRET: set both or neither');
  }
  const trustProxy = parsed.TRUST_PROXY?.split(',').map((entry) => entry.trim()) ?? [];
  const badProxies = trustProxy.filter((entry) => !isProxyEntry(entry));
  if (badProxies.length > 0) problems.push(`TRUST_PROXY: not an address, CIDR range or proxy name: ${badProxies.join(', ')}`);
  const graceSeconds = parsed.SHUTDOWN_GRACE_SECONDS;
  const graceMs = graceSeconds * 1000;
  // The drain is part of the grace period; a drain that fills it would end every stop with exit code 1.
  if (parsed.SHUTDOWN_DRAIN_MS !== undefined && Number.isInteger(parsed.SHUTDOWN_DRAIN_MS) && parsed.SHUTDOWN_DRAIN_MS >= graceMs) {
    problems.push(`SHUTDOWN_DRAIN_MS=${parsed.SHUTDOWN_DRAIN_MS}: must be less than SHUTDOWN_GRACE_SECONDS (${graceMs} ms)`);
  }
  if (parsed.METRICS_PORT !== undefined && parsed.METRICS_PORT === parsed.PORT) {
    problems.push(`METRICS_PORT=${parsed.METRICS_PORT}: must differ from PORT (metrics are never served on the API's port)`);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  const port = parsed.PORT;
  const endpoint = (parsed.ENDPOINT ?? `http://localhost:${port}`).replace(/\/+$/, '');
  return {
    port,
    metricsPort: parsed.METRICS_PORT,
    endpoint,
    issuer: `${endpoint}/oidc`,
    bootstrapClient:
      parsed.BOOTSTRAP_CLIENT_ID && parsed.BOOTSTRAP_CLIENT_SECRET
        ? { id: parsed.BOOTSTRAP_CLIENT_ID, secret: parsed.BOOTSTRAP_CLIENT_SECRET }
        : undefined,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: resolve(parsed.DATA_DIR),
    managementApiResource: parsed.MANAGEMENT_API_RESOURCE,
    usernameCaseSensitive: parsed.USERNAME_CASE_SENSITIVE,
    passwordVerifyLimit: { limit: parsed.PASSWORD_VERIFY_MAX_ATTEMPTS, windowSeconds: parsed.PASSWORD_VERIFY_WINDOW_SECONDS },
    tokenLimit: { limit: parsed.TOKEN_MAX_ATTEMPTS, windowSeconds: parsed.TOKEN_WINDOW_SECONDS },
    tokenIpLimit: { limit: parsed.TOKEN_FAILURES_PER_IP, windowSeconds: parsed.TOKEN_IP_WINDOW_SECONDS },
    logRetentionDays: parsed.LOG_RETENTION_DAYS,
    housekeeping: { intervalMs: parsed.HOUSEKEEPING_INTERVAL_MS, batchSize: parsed.HOUSEKEEPING_BATCH_SIZE },
    statementTimeoutMs: parsed.STATEMENT_TIMEOUT_MS,
    hashConcurrency: parsed.HASH_CONCURRENCY,
    shutdownGraceSeconds: graceSeconds,
    // Unset: 1 s, but never more than half the grace period, so a short grace stays valid.
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? Math.min(DEFAULT_SHUTDOWN_DRAIN_MS, graceMs / 2),
    trustProxy,
    logLevel: parsed.LOG_LEVEL as LogLevel,
  };
}

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
