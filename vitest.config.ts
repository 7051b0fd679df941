import { defineConfig } from 'vitest/config';

// Four projects: unit tests run in parallel; integration, e2e and deploy tests start real
// server processes (and Chromium), so their files run one at a time on these 2-core machines.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/helpers/buildOnce.ts'],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/helpers/buildOnce.ts'],
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      {
        // Deployment files: renders and validates the Kubernetes and compose files, lints the
        // Dockerfile, and runs its build stage and its ENTRYPOINT + CMD outside a container
        // engine (npm ci in a temporary copy: minutes, hence the long hook timeout).
        test: {
          name: 'deploy',
          include: ['tests/deploy/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
