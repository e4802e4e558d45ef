/**
 * Sorted, de-duplicated unions of id lists (the universes the portfolio operators build). The
 * inputs are usually already sorted (holdings and proposals are sorted by instrumentId by
 * contract), so the union is an O(n) merge; any other input falls back to a sort. Either way the
 * result is what `[...new Set([...a, ...b])].sort()` gives.
 */

function increasing(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i - 1]! < xs[i]!)) return false;
  return true;
}

export function sortedUnion(a: readonly string[], b: readonly string[]): string[] {
  if (!increasing(a) || !increasing(b)) return [...new Set([...a, ...b])].sort();
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
