import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The Kubernetes tests run in a network namespace of their own (npm run test:kubernetes).
    exclude: ['test/kubernetes/**', '**/node_modules/**'],
    // Real processes and sockets: give slow CI machines room, but no test relies on timing to pass.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
