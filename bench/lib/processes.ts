/** Child processes of a run (Roster and the raw baseline) and the clean-ups that stop them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { log } from './cli.js';
import { importBuilt, ROOT } from './paths.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function freePort(): Promise<number> {
  const { findFreePort } = await importBuilt<{ findFreePort: () => Promise<number> }>('src/common/free-port.js');
  return findFreePort();
}

/**
 * Clean-up steps run in reverse order of registration, at the end of a run or on Ctrl-C (the
 * first SIGINT stops the child processes and the embedded cluster, then exits with 130).
 */
export class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor() {
    process.once('SIGINT', () => {
      log('interrupted; stopping');
      void this.run().then(() => process.exit(130));
    });
  }

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
    this.steps.length = 0;
  }
}

/** A child process (Roster or the raw server) with its last output lines kept for error messages. */
export class Service {
  private readonly output: string[] = [];
  private exited = false;

  private constructor(
    readonly name: string,
    readonly baseUrl: string,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      this.exited = true;
    });
  }

  /** Starts `node [nodeArgs] script` in the repository root with `env` and a free `PORT`, and waits for `/api/status`. */
  static async start(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Service> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, script], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new Service(name, `http://127.0.0.1:${port}`, child);
    await service.waitUntilReady();
    return service;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Recent output, for an error message. */
  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  private async waitUntilReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.baseUrl}/api/status`);
        if (response.status === 204) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.name} was not ready after ${timeoutMs / 1000} s:\n${this.tail()}`);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

async function fetchToken(roster: Service, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${roster.baseUrl}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      resource: 'https://default.logto.app/api',
      scope: 'all',
    }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request failed with ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface Roster {
  service: Service;
  /** A fresh Management API token (client credentials of the bootstrap M2M app): a long run outlives a token's hour. */
  token: () => Promise<string>;
}

/**
 * The production build (`node dist/src/main.js`, `LOG_LEVEL=warn`) on `url`, with a bootstrap M2M
 * app whose secret is made up for the run; stopped by the clean-ups.
 */
export async function startRoster(
  url: string,
  cleanups: Cleanups,
  options: { env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<Roster> {
  const clientId = 'roster-bench';
  const clientSecret = randomBytes(24).toString('base64url');
  const service = await Service.start(
    'Roster',
    'dist/src/main.js',
    { DATABASE_URL: url, BOOTSTRAP_CLIENT_ID: clientId, BOOTSTRAP_CLIENT_SECRET: clientSecret, LOG_LEVEL: 'warn', ...options.env },
    options.nodeArgs,
  );
  cleanups.add(() => service.stop());
  return { service, token: () => fetchToken(service, clientId, clientSecret) };
}
