import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { cpuBoundQueue, observeCpuBoundWaits } from './cpu-bound.js';
import type { UnavailableCause } from './errors/request-error.js';

/** The route label of a request no route matched: a scanner's paths must not become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/** What the pool gauges read at each scrape (a `pg.Pool` has these). */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

type RequestObserver = (seconds: number) => void;

/**
 * The service's Prometheus metrics (README, "Metrics"), one registry per application instance, so
 * apps started in one process (tests) never share or re-register series. The modules record through
 * this service; `health/` serves the registry on `METRICS_PORT`.
 */
@Injectable()
export class Metrics implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly requestDuration = new Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'Time from the request to the end of the answer, by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  /** Children of the histogram by route, method and status, so that an observation allocates nothing. */
  private readonly requestObservers = new Map<string, Map<string, Map<number, RequestObserver>>>();
  private readonly unavailable = new Counter({
    name: 'roster_http_unavailable_total',
    help: 'Answers 503 service.unavailable, by cause.',
    labelNames: ['cause'],
    registers: [this.registry],
  });
  private readonly rateLimitedCounter = new Counter({
    name: 'roster_rate_limited_total',
    help: 'Requests refused with 429, by limiter.',
    labelNames: ['limiter'],
    registers: [this.registry],
  });
  private readonly tokenRequests = new Counter({
    name: 'roster_token_requests_total',
    help: 'POST /oidc/token outcomes: issued, or the error that was answered.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly hashWait = new Histogram({
    name: 'roster_hash_queue_wait_seconds',
    help: 'Time a password or secret hash waited for a slot of the hash queue.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly stopObservingHashWaits = observeCpuBoundWaits((seconds) => this.hashWait.observe(seconds));
  private pool?: PoolCounts;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.gauge('roster_hash_queue_in_flight', 'Password and secret hashes running now.', () => cpuBoundQueue().active);
    this.gauge('roster_hash_queue_waiting', 'Password and secret hashes waiting for a slot.', () => cpuBoundQueue().pending);
    this.gauge('roster_db_pool_connections', 'Connections of the PostgreSQL pool, open or being opened.', () => this.pool?.totalCount);
    this.gauge('roster_db_pool_idle', 'Connections of the PostgreSQL pool that are idle.', () => this.pool?.idleCount);
    this.gauge('roster_db_pool_waiting', 'Queries waiting for a connection of the PostgreSQL pool.', () => this.pool?.waitingCount);
  }

  /** A gauge read at scrape time; `undefined` (nothing to read yet) leaves it out of the scrape. */
  private gauge(name: string, help: string, read: () => number | undefined): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const value = read();
        if (value === undefined) this.reset();
        else this.set(value);
      },
    });
  }

  /** The pool the `roster_db_pool_*` gauges read. */
  watchPool(pool: PoolCounts): void {
    this.pool = pool;
  }

  /** One answered request; `route` is the route's template, or `UNMATCHED_ROUTE`. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.requestObservers.get(route);
    if (!byMethod) this.requestObservers.set(route, (byMethod = new Map<string, Map<number, RequestObserver>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, RequestObserver>()));
    let observe = byStatus.get(status);
    if (!observe) {
      const child = this.requestDuration.labels({ method, route, status });
      observe = (value) => child.observe(value);
      byStatus.set(status, observe);
    }
    observe(seconds);
  }

  serviceUnavailable(cause: UnavailableCause): void {
    this.unavailable.inc({ cause });
  }

  /** A 429; `limiter` names the limit that refused (a rate-limit bucket). */
  rateLimited(limiter: string): void {
    this.rateLimitedCounter.inc({ limiter });
  }

  /** `result`: `issued`, an RFC 6749 error code, `rate_limited` or `error`. */
  tokenRequest(result: string): void {
    this.tokenRequests.inc({ result });
  }

  onModuleDestroy(): void {
    this.stopObservingHashWaits();
  }
}
