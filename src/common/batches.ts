/**
 * Runs `deleteBatch` (one short statement deleting at most `batchSize` rows) until a batch comes
 * back short or `shouldStop()` says so, and returns the total deleted. Deleting a backlog batch by
 * batch keeps each transaction, and the row locks it holds, small.
 */
export async function deleteInBatches(deleteBatch: () => Promise<number>, batchSize: number, shouldStop: () => boolean): Promise<number> {
  let total = 0;
  for (;;) {
    if (shouldStop()) return total;
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
