/** Seeded randomness: the same (seed, target, case) gives the same input on every machine. */

/** mulberry32: a small PRNG with a 32-bit state. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, to give every target its own stream for the same campaign seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The generator of one case: replaying (seed, target, index) rebuilds exactly that input. */
export function caseRng(seed: number, target: string, index: number): () => number {
  return mulberry32((hash(target) ^ Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
}

export const int = (rand: () => number, n: number): number => Math.floor(rand() * n);
export const pick = <T>(rand: () => number, items: readonly T[]): T => items[int(rand, items.length)];
