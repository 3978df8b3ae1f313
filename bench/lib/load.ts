/** Autocannon runs, their figures, and the medians and percentiles of several runs. */
import autocannon from 'autocannon';
import type { RunFigures, ServerFigures } from '../report.js';

export interface LoadOptions {
  connections: number;
  duration: number;
  token: string;
  requests: autocannon.Request[];
}

/** One autocannon run against `baseUrl`, every request with the bearer token. */
export async function loadTest(baseUrl: string, { connections, duration, token, requests }: LoadOptions): Promise<autocannon.Result> {
  return autocannon({ url: baseUrl, connections, duration, timeout: 30, headers: { authorization: `Bearer ${token}` }, requests });
}

export function figures(result: autocannon.Result): RunFigures {
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result['2xx'] + result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  };
}

/** One line for the log: `1234 req/s, p50 4 ms, p99 13 ms[, errors]`. */
export function describeRun(run: RunFigures): string {
  return (
    `${Math.round(run.requestsPerSecond)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms` +
    (run.errors + run.non2xx > 0 ? `, ${run.errors} errors, ${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}` : '')
  );
}

export function summarise(runs: RunFigures[]): ServerFigures {
  return {
    runs,
    median: {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
    },
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
  };
}

/** The middle value (the mean of the two middle ones for an even count); NaN when there are none. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle];
  if (upper === undefined) return Number.NaN;
  const lower = sorted.length % 2 === 0 ? sorted[middle - 1] : undefined;
  return lower === undefined ? upper : (lower + upper) / 2;
}

/** Nearest-rank percentile (`p` from 0 to 100) of unsorted values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  // Undefined only when there are no values (the index is then -1).
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
