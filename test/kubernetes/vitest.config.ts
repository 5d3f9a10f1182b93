import { defineConfig } from 'vitest/config';

// The tests against the real control plane; they run under netns.sh (README.md here),
// so that pods' addresses are reachable on this machine and nothing leaves it.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/kubernetes/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
