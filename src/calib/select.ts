/**
 * Order statistics without sorting: quickselect with a three-way partition, O(n)
 * expected. Three-way partitioning matters for activations: after ReLU most values are
 * exactly 0, and a two-way partition degrades to O(n²) on such runs of equal keys.
 */

const SMALL = 24;

/** xorshift32: deterministic pivots, so results and timings are reproducible. */
let seed = 0x9e3779b9;
function nextRandom(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function median3(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}

/**
 * Returns the k-th smallest value (0-based) of `a[0..a.length)`, reordering `a` so that
 * a[i] ≤ a[k] for i < k and a[i] ≥ a[k] for i > k.
 */
export function selectKth(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi - lo >= SMALL) {
    const span = hi - lo + 1;
    const pivot = median3(a[lo + (nextRandom() % span)], a[lo + (nextRandom() % span)], a[lo + (nextRandom() % span)]);
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else {
        i++;
      }
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  a.subarray(lo, hi + 1).sort();
  return a[k];
}
