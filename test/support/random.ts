/**
 * A seeded random source for tests of weighted and random picks: the same
 * sequence on every run, so a statistical bound is a fixed outcome, not a 1-in-N
 * flake (a linear congruential generator, Numerical Recipes' constants).
 */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
}
