import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Key generation, argon2 and child processes take real time on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
