/** `items[index]` (negative counts from the end), failing the test when there is no such element. */
export function at<T>(items: readonly T[], index: number): T {
  const item = items.at(index);
  if (item === undefined) {
    throw new Error(`expected an element at index ${index} of ${items.length}: ${JSON.stringify(items).slice(0, 500)}`);
  }
  return item;
}
