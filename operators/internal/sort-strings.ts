/**
 * Sorts a short string array in place, in the order `Array.prototype.sort()` gives strings (UTF-16
 * code units), and returns it. Arrays of up to 16 elements take an insertion sort: the built-in
 * sort sets up work arrays even for three elements, which made the few sources a window names
 * (sorted at every firing) a visible share of what a window close allocates. Longer arrays take
 * the built-in sort.
 */
export function sortStrings<T extends string>(xs: T[]): T[] {
  if (xs.length > 16) return xs.sort();
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && xs[j]! > x) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
  return xs;
}
