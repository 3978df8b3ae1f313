import { availableParallelism } from 'node:os';
import { ConfigValidationError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3001,
      endpoint: 'http://localhost:3001',
      databaseUrl: undefined,
      managementApiResource: 'https://default.logto.app/api',
      usernameCaseSensitive: true,
      logLevel: 'log',
    });
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('derives ENDPOINT from PORT and strips trailing slashes from an explicit one', () => {
    expect(loadConfig({ PORT: '4000' }).endpoint).toBe('http://localhost:4000');
    expect(loadConfig({ ENDPOINT: 'https://users.example.com/' }).endpoint).toBe('https://users.example.com');
  });

  it('allows one hash per core plus one, leaving libuv one thread, unless HASH_CONCURRENCY says otherwise', () => {
    expect(loadConfig({}).hashConcurrency).toBe(Math.min(availableParallelism() + 1, 3));
    expect(loadConfig({ HASH_CONCURRENCY: '2' }).hashConcurrency).toBe(2);
    expect(() => loadConfig({ HASH_CONCURRENCY: '0' })).toThrow(/HASH_CONCURRENCY=0: must be a positive integer/);
  });

  it('serves no metrics unless METRICS_PORT is set, and never on PORT', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(() => loadConfig({ METRICS_PORT: '0' })).toThrow(/METRICS_PORT=0: must be an integer between 1 and 65535/);
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(/METRICS_PORT=4000: must differ from PORT/);
  });

  it('keeps audit rows forever unless LOG_RETENTION_DAYS is set, and limits token failures per address', () => {
    const defaults = loadConfig({});
    expect(defaults.logRetentionDays).toBeUndefined();
    expect(defaults.tokenIpLimit).toEqual({ limit: 100, windowSeconds: 60 });
    expect(defaults.housekeeping).toEqual({ intervalMs: 60_000, batchSize: 1000 });
    expect(loadConfig({ LOG_RETENTION_DAYS: '30' }).logRetentionDays).toBe(30);
    expect(() => loadConfig({ LOG_RETENTION_DAYS: '0' })).toThrow(/LOG_RETENTION_DAYS=0: must be an integer between 1 and 36500 \(days\)/);
    expect(() => loadConfig({ HOUSEKEEPING_BATCH_SIZE: '0' })).toThrow(
      /HOUSEKEEPING_BATCH_SIZE=0: must be an integer between 1 and 100000/,
    );
  });

  it('trusts no proxy by default, and reads TRUST_PROXY as addresses, CIDR ranges and names', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.2,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.2',
      'fd00::/8',
      'loopback',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: not an address, CIDR range or proxy name: true/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33,2' })).toThrow(/proxy name: 10\.0\.0\.0\/33, 2$/m);
  });

  it('reads USERNAME_CASE_SENSITIVE=false', () => {
    expect(loadConfig({ USERNAME_CASE_SENSITIVE: 'false' }).usernameCaseSensitive).toBe(false);
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ENDPOINT: 'not a url', USERNAME_CASE_SENSITIVE: 'maybe' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      const { problems } = error as ConfigValidationError;
      expect(problems.map((line) => line.split('=')[0])).toEqual(
        expect.arrayContaining(['PORT', 'DATABASE_URL', 'ENDPOINT', 'USERNAME_CASE_SENSITIVE']),
      );
      expect(problems).toHaveLength(4);
    }
  });

  it('drains for 1 s on SIGTERM by default, at most half of a short grace period', () => {
    expect(loadConfig({}).shutdownDrainMs).toBe(1000);
    expect(loadConfig({ SHUTDOWN_GRACE_SECONDS: '1' }).shutdownDrainMs).toBe(500);
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: '0' }).shutdownDrainMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: '2500', SHUTDOWN_GRACE_SECONDS: '3' }).shutdownDrainMs).toBe(2500);
  });

  it.each([
    [{ SHUTDOWN_DRAIN_MS: '-1' }, 'must be an integer of 0 or more'],
    [{ SHUTDOWN_DRAIN_MS: '1.5' }, 'must be an integer of 0 or more'],
    [{ SHUTDOWN_DRAIN_MS: '10000' }, 'must be less than SHUTDOWN_GRACE_SECONDS (10000 ms)'],
    [{ SHUTDOWN_DRAIN_MS: '1000', SHUTDOWN_GRACE_SECONDS: '1' }, 'must be less than SHUTDOWN_GRACE_SECONDS (1000 ms)'],
  ])('rejects SHUTDOWN_DRAIN_MS in %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
