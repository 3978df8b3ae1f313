import { deleteInBatches } from './batches.js';

describe('deleteInBatches', () => {
  it('deletes batch after batch until one comes back short, and returns the total', async () => {
    const sizes = [3, 3, 1, 3];
    const calls: number[] = [];
    const total = await deleteInBatches(
      () => {
        const size = sizes[calls.length] ?? 0;
        calls.push(size);
        return Promise.resolve(size);
      },
      3,
      () => false,
    );
    expect(calls).toEqual([3, 3, 1]);
    expect(total).toBe(7);
  });

  it('stops before the next batch once asked to', async () => {
    let batches = 0;
    const total = await deleteInBatches(
      () => {
        batches += 1;
        return Promise.resolve(5);
      },
      5,
      () => batches >= 2,
    );
    expect(batches).toBe(2);
    expect(total).toBe(10);
  });
});
