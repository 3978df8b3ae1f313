import { Injectable, type LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type http from 'node:http';
import net from 'node:net';

/**
 * Whether SIGTERM has started the shutdown. From then on `GET /api/status` answers 503, so load
 * balancers stop routing here, and every answer carries `Connection: close`, so clients open their
 * next connection elsewhere instead of reusing this one.
 */
@Injectable()
export class ShutdownState {
  private drainingSince?: number;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }
}

/**
 * Node keeps a connection open after an answer unless the answer says `Connection: close`, and
 * Fastify only says so for requests that arrive once it is closing; in-flight answers would leave
 * their connections idle, to be closed under a client that may be sending its next request.
 */
export function registerShutdownHooks(fastify: FastifyInstance, state: ShutdownState): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (state.draining) void reply.header('Connection', 'close');
    done(null, payload);
  });
}

/** Resolves after the event loop has run at least one whole poll phase, the phase that reads sockets. */
function afterAPollPhase(): Promise<void> {
  // An immediate queued from the check phase runs in the next loop iteration, after its poll phase.
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * Stops accepting, then closes each connection once it is idle, without dropping a request that was
 * sent in full but not read yet (F3 and F4 in docs/reliability.md). `http.Server#close()` cannot do
 * the first step: it also destroys idle keep-alive connections at once, including one whose next
 * request sits unread in its socket buffer. So only the listening socket closes; idle connections
 * are closed after a poll phase has read what is buffered, and again after each later one.
 * Returns the function that stops that closing (call it once the server has closed).
 */
export async function stopAccepting(server: http.Server): Promise<() => void> {
  net.Server.prototype.close.call(server);
  await afterAPollPhase();
  server.closeIdleConnections();
  const reaper = setInterval(() => setImmediate(() => server.closeIdleConnections()), 50);
  return () => clearInterval(reaper);
}

/** What the process has started so far, for the shutdown to stop. */
export interface RunningParts {
  /** The embedded PostgreSQL, possibly still starting. */
  embedded?: Promise<{ stop(): Promise<void> }>;
  app?: NestFastifyApplication;
}

export interface GracefulShutdownOptions {
  drainMs: number;
  graceSeconds: number;
  logger: LoggerService;
}

/**
 * Handles SIGTERM and SIGINT from the first moment, so a signal during start-up still stops the
 * embedded PostgreSQL. On a signal: report not ready while still serving for the drain delay (load
 * balancers stop routing here), stop accepting, let the requests already sent finish, close the
 * pool, then stop PostgreSQL; past the grace period, exit anyway (docs/reliability.md, F3/F4/F7).
 * Returns whether a shutdown has begun, for start-up to stop where it is.
 */
export function installGracefulShutdown(running: RunningParts, { drainMs, graceSeconds, logger }: GracefulShutdownOptions): () => boolean {
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down (drain ${drainMs} ms, grace ${graceSeconds} s)`, 'Bootstrap');
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${graceSeconds} s; exiting`, 'Bootstrap');
      process.exit(1);
    }, graceSeconds * 1000).unref();
    if (running.app) {
      const server = running.app.getHttpServer();
      running.app.get(ShutdownState).startDraining();
      if (server.listening && drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      const stopClosingIdle = await stopAccepting(server);
      await running.app.close();
      stopClosingIdle();
    }
    // A PostgreSQL still starting is waited for, then stopped (a failed start has nothing to stop).
    const embedded = await running.embedded?.catch(() => undefined);
    await embedded?.stop();
    logger.log('Stopped', 'Bootstrap');
    process.exit(0);
  };
  // `on`, not `once`: a second signal (a second Ctrl-C) must not take the default action and
  // orphan PostgreSQL; `shutdown` ignores repeats.
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
  return () => stopping;
}
