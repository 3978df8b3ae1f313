import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  const running = globalThis.rosterTestDatabase;
  if (!running) return;
  await running.database.stop();
  await rm(running.dataDir, { recursive: true, force: true });
}
