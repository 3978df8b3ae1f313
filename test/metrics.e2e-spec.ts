/**
 * Issue 13, "Metrics and probes": Prometheus metrics on `METRICS_PORT` only, labelled by route
 * template; the liveness probe; the 5xx log line with its request id and stack, and nothing of the
 * request.
 */
import net from 'node:net';
import { postToken } from './support/auth.js';
import { MANAGEMENT_API_RESOURCE, request, tokenFor } from './support/clients.js';
import { expectError } from './support/expect-errors.js';
import { createUser, uniqueName } from './support/factories.js';
import { parseSamples, type Sample, sampleValue } from './support/prometheus.js';
import { freePort, LISTENING_LINE, startTestServer, type TestServer, withDatabase } from './support/test-server.js';

const DURATION_COUNT = 'roster_http_request_duration_seconds_count';
const ROUTE_NOT_FOUND = ['request.route_not_found', 'The requested route does not exist.'] as const;

/** Whether anything accepts a TCP connection on `port` of the loopback interface. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('metrics on METRICS_PORT', () => {
  const TOKEN_MAX_ATTEMPTS = 2;
  let server: TestServer;
  let metricsPort: number;
  let metricsUrl: string;
  let stopped = false;

  beforeAll(async () => {
    metricsPort = await freePort();
    metricsUrl = `http://localhost:${metricsPort}`;
    server = await startTestServer({
      METRICS_PORT: String(metricsPort),
      TOKEN_MAX_ATTEMPTS: String(TOKEN_MAX_ATTEMPTS),
      TOKEN_WINDOW_SECONDS: '60',
      STATEMENT_TIMEOUT_MS: '1000',
    });
  });

  afterAll(async () => {
    if (!stopped) await server.stop();
  });

  async function scrape(): Promise<Sample[]> {
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseSamples(await response.text());
  }

  /** How much each of these series grew while `work` ran. */
  async function growth(series: [string, Record<string, string>][], work: () => Promise<void>): Promise<number[]> {
    const before = await scrape();
    await work();
    const after = await scrape();
    return series.map(([name, labels]) => sampleValue(after, name, labels) - sampleValue(before, name, labels));
  }

  it('times requests by method, route template and status, never by their path', async () => {
    await tokenFor(server.baseUrl);
    const user = await createUser(server, { username: uniqueName() });
    const counts = await growth(
      [
        [DURATION_COUNT, { method: 'GET', route: '/api/users/:userId', status: '200' }],
        [DURATION_COUNT, { method: 'GET', route: '/api/users/:userId', status: '404' }],
        [DURATION_COUNT, { method: 'GET', route: 'unmatched', status: '404' }],
        [DURATION_COUNT, { method: 'GET', route: '/api/status/live', status: '204' }],
      ],
      async () => {
        for (let count = 0; count < 3; count += 1) expect((await request(server.baseUrl, 'GET', `/api/users/${user.id}`)).status).toBe(200);
        expectError(await request(server.baseUrl, 'GET', '/api/users/no-such-user-id'), 404, 'entity.not_found');
        expectError(await request(server.baseUrl, 'GET', `/api/no-such-route/${user.id}`), 404, ...ROUTE_NOT_FOUND);
        expect((await request(server.baseUrl, 'GET', '/api/status/live', { auth: false })).status).toBe(204);
      },
    );
    expect(counts).toEqual([3, 1, 1, 1]);

    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).not.toContain(user.id);
    expect(text).not.toContain('no-such');
    const routes = new Set((await scrape()).filter((sample) => sample.name === DURATION_COUNT).map((sample) => sample.labels.route));
    expect([...routes].filter((route) => route !== 'unmatched' && !route?.startsWith('/'))).toEqual([]);
    // Buckets and sums come with the count.
    const samples = await scrape();
    const labels = { method: 'GET', route: '/api/users/:userId', status: '200' };
    expect(sampleValue(samples, 'roster_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(
      sampleValue(samples, DURATION_COUNT, labels),
    );
    expect(sampleValue(samples, 'roster_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
  });

  it('counts token requests by result and 429s by limiter', async () => {
    const attempt = (clientSecret: string, clientId = 'metrics-probe') =>
      postToken(server.baseUrl, {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        resource: MANAGEMENT_API_RESOURCE,
      });
    const counts = await growth(
      [
        ['roster_token_requests_total', { result: 'issued' }],
        ['roster_token_requests_total', { result: 'invalid_client' }],
        ['roster_token_requests_total', { result: 'rate_limited' }],
        ['roster_token_requests_total', { result: 'invalid_target' }],
        ['roster_rate_limited_total', { limiter: 'token-client' }],
        [DURATION_COUNT, { method: 'POST', route: '/oidc/token', status: '429' }],
        ['roster_hash_queue_wait_seconds_count', {}],
      ],
      async () => {
        const { clientId, clientSecret } = server.credentials;
        expect((await attempt(clientSecret, clientId)).status).toBe(200);
        const wrongTarget = await postToken(server.baseUrl, {
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
          resource: 'https://other.example/api',
        });
        expect(wrongTarget.status).toBe(400);
        const statuses = [];
        for (let count = 0; count <= TOKEN_MAX_ATTEMPTS; count += 1) statuses.push((await attempt('wrong-secret-value')).status);
        expect(statuses).toEqual([400, 400, 429]);
      },
    );
    expect(counts.slice(0, 6)).toEqual([1, 2, 1, 1, 1, 1]);
    // A secret check for each request but the 429 (and the decoy's own hash, made on its first use).
    expect(counts[6]).toBeGreaterThanOrEqual(4);
  });

  it('reports the connection pool, the hash queue, the event loop and the process', async () => {
    const samples = await scrape();
    const names = new Set(samples.map((sample) => sample.name));
    expect(sampleValue(samples, 'roster_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'roster_db_pool_idle')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'roster_db_pool_waiting')).toBe(0);
    expect(sampleValue(samples, 'roster_hash_queue_in_flight')).toBe(0);
    expect(sampleValue(samples, 'roster_hash_queue_waiting')).toBe(0);
    for (const name of [
      'roster_hash_queue_wait_seconds_count',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect({ name, present: names.has(name) }).toEqual({ name, present: true });
    }
  });

  it('counts a statement timeout as a 503 by its cause', async () => {
    const user = await createUser(server, { username: uniqueName() });
    const [timeouts, answered] = await growth(
      [
        ['roster_http_unavailable_total', { cause: 'statement_timeout' }],
        [DURATION_COUNT, { method: 'GET', route: '/api/users/:userId', status: '503' }],
      ],
      () =>
        withDatabase(server.databaseUrl, async (client) => {
          // The read waits for this lock until its statement_timeout cancels it.
          await client.query('BEGIN');
          await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
          const response = await request(server.baseUrl, 'GET', `/api/users/${user.id}`);
          await client.query('ROLLBACK');
          expectError(response, 503, 'service.unavailable');
          expect(response.headers.get('retry-after')).toBe('1');
        }),
    );
    expect([timeouts, answered]).toEqual([1, 1]);
  });

  it('serves nothing but GET /metrics on its port, and no /metrics on the API port', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/api/status'],
      ['POST', '/metrics'],
    ] as const) {
      const response = await fetch(`${metricsUrl}${path}`, { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    expectError(await request(server.baseUrl, 'GET', '/metrics'), 404, ...ROUTE_NOT_FOUND);
  });

  it('logs a 500 with the request id and the stack, and nothing of the request', async () => {
    const marker = `secret_${uniqueName()}`;
    await server.query(`ALTER TABLE users ADD CONSTRAINT users__metrics_probe CHECK (username <> '${marker}')`);
    const token = await tokenFor(server.baseUrl);
    const response = await request(server.baseUrl, 'POST', '/api/users', { json: { username: marker } });
    await server.query('ALTER TABLE users DROP CONSTRAINT users__metrics_probe');
    expect({ status: response.status, body: response.body }).toEqual({ status: 500, body: { message: 'Internal server error.' } });
    const requestId = response.headers.get('logto-core-request-id') ?? '';
    expect(requestId).toMatch(/^[0-9a-zA-Z]{16}$/);

    const errorLines = server.logs.filter((line) => line.includes(requestId) && line.includes('"level":"error"'));
    expect(errorLines).toHaveLength(1);
    const [line = ''] = errorLines;
    const logged = JSON.parse(line) as { context: string; message: { requestId: string; error: string } };
    expect(logged.context).toBe('Errors');
    expect(logged.message.requestId).toBe(requestId);
    expect(logged.message.error).toMatch(/^error: new row for relation "users" violates check constraint "users__metrics_probe"\n\s+at /);
    expect(line).not.toContain(token);
    expect(line).not.toContain(marker);
    expect(line.toLowerCase()).not.toContain('authorization');
  });

  it('closes the metrics listener on SIGTERM, and the shutdown ends cleanly', async () => {
    expect(await isListening(metricsPort)).toBe(true);
    stopped = true;
    await server.stop();
    expect(await isListening(metricsPort)).toBe(false);
    expect(server.logs.filter((line) => line.includes('"Stopped"'))).toHaveLength(1);
  });
});

describe('without METRICS_PORT', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('starts no metrics listener and serves no /metrics on the API port', async () => {
    const listening = server.logs.find((line) => line.includes(LISTENING_LINE)) ?? '';
    expect(listening).not.toContain('metrics');
    expect(await isListening(await freePort())).toBe(false);
    expectError(await request(server.baseUrl, 'GET', '/metrics'), 404, ...ROUTE_NOT_FOUND);
  });

  it('answers the liveness probe without a token, 204 and empty', async () => {
    const response = await request(server.baseUrl, 'GET', '/api/status/live', { auth: false });
    expect({ status: response.status, text: response.text }).toEqual({ status: 204, text: '' });
    expect(response.headers.get('logto-core-request-id')).toMatch(/^[0-9a-zA-Z]{16}$/);
  });
});

describe('a METRICS_PORT already taken', () => {
  it('fails the start (exit code 1, naming EADDRINUSE and the port)', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await expect(startTestServer({ METRICS_PORT: String(port) })).rejects.toThrow(
        new RegExp(`server exited with code 1 before listening:[^]*EADDRINUSE[^]*${port}`),
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
