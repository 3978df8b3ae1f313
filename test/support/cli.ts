import { execFile } from 'node:child_process';
import type { TestServer } from './test-server.js';

export interface CliResult {
  /** The process exit code. */
  code: number;
  stdout: string;
  stderr: string;
}

/** What `applications:create` prints: the application and, once, its secret. */
export interface CreatedApplication {
  id: string;
  name: string;
  scopes: string[];
  isDisabled: boolean;
  createdAt: string;
  secret: string;
}

/**
 * Runs the built CLI (`node dist/src/cli.js <args>`) against a test server's database, as an
 * operator would with `npm run cli -- <args>`. Never rejects: the exit code is part of the result.
 */
export function runCli(server: TestServer, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: server.databaseUrl };
  delete env.BOOTSTRAP_CLIENT_ID;
  delete env.BOOTSTRAP_CLIENT_SECRET;
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/src/cli.js', ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a CLI command that must succeed and returns its JSON output. */
export async function runCliJson<Output>(server: TestServer, args: string[]): Promise<Output> {
  const result = await runCli(server, args);
  if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Output;
}

/** A new machine-to-machine application with these scopes, created through the CLI. */
export function createApplication(server: TestServer, name: string, scopes: readonly string[]): Promise<CreatedApplication> {
  return runCliJson<CreatedApplication>(server, ['applications:create', '--name', name, '--scopes', scopes.join(',')]);
}
