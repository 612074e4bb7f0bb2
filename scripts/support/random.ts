import { unsafeUniformIntDistribution, mersenne } from 'pure-rand';

const STEPS = 2 ** 31;

/** Numbers in [0, 1) from a seed: the same seed replays the same run. */
export function seededRandom(seed: number): () => number {
  const generator = mersenne(seed);
  return () => unsafeUniformIntDistribution(0, STEPS - 1, generator) / STEPS;
}
