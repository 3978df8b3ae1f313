/**
 * Preloaded into Roster by bench/passwords.ts (`node --import <this file> dist/src/main.js`): watches
 * the event loop's delay with `perf_hooks.monitorEventLoopDelay` and, on each SIGUSR2, writes what it
 * saw since the previous signal to `$ROSTER_BENCH_ELD_FILE` (JSON, written whole then renamed) and
 * starts over. Nothing of Roster is changed; without the variable the probe does nothing.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventLoopFigures } from './report.js';

/** Milliseconds between the probe's timer ticks: the histogram holds tick intervals, this much is no delay. */
const ELD_RESOLUTION_MS = 5;

/** What one signal reports: Roster's event-loop delay since the previous one. */
export interface EventLoopSnapshot extends EventLoopFigures {
  /** 1 for the first signal, then 2, 3…: the bench waits for the number it expects. */
  seq: number;
}

const file = process.env.ROSTER_BENCH_ELD_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  histogram.enable();
  let seq = 0;
  const delay = (nanoseconds: number): number => (histogram.count === 0 ? 0 : Math.max(0, nanoseconds / 1e6 - ELD_RESOLUTION_MS));
  process.on('SIGUSR2', () => {
    seq += 1;
    const snapshot: EventLoopSnapshot = {
      seq,
      p50: delay(histogram.percentile(50)),
      p99: delay(histogram.percentile(99)),
      max: delay(histogram.max),
      mean: delay(histogram.mean),
      samples: histogram.count,
      resolutionMs: ELD_RESOLUTION_MS,
    };
    histogram.reset();
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file);
  });
}
