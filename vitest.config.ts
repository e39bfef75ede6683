import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { fileURLToPath } from 'node:url';
import { workerBindings } from './test/worker/_env';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Async: the Worker's S3 binding names a port picked when the config loads (test/worker/_env.ts).
export default defineConfig(async () => ({
  test: {
    reporters: ['default', './test/_closing-line.ts'],
    // Two files at a time even on 2 cores (vitest's default is cores - 1): many files wait on servers, child
    // processes or Chromium rather than compute.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // These run inside workerd only (they import cloudflare:test).
          exclude: ['test/worker/**'],
          server: { deps: { inline: [/@tensorflow/] } },
          isolate: false,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { bindings: await workerBindings() } })],
        resolve: {
          alias: [
            { find: /^(\.\.\/)+wasm$/, replacement: here('./test/wasm.workers.ts') },
            // As in wrangler.toml: the SDK's browser XML parser needs DOMParser, which workerd lacks.
            { find: /^@aws-sdk\/xml-builder$/, replacement: here('./node_modules/@aws-sdk/xml-builder/dist-cjs/index.js') },
          ],
        },
        test: {
          name: 'workerd',
          // A real S3 server for the Worker's jobs (test/worker/jobs.test.ts).
          globalSetup: ['test/worker/_s3-global.ts'],
          include: ['test/engine/**/*.test.ts', 'test/attest/**/*.test.ts', 'test/worker/**/*.test.ts'],
        },
      },
    ],
  },
}));
