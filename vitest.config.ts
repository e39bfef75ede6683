import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  test: {
    reporters: ['default', './test/_closing-line.ts'],
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // These run inside workerd only (they import cloudflare:test).
          exclude: ['test/worker/**'],
          server: { deps: { inline: [/@tensorflow/] } },
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        resolve: { alias: [{ find: /^(\.\.\/)+wasm$/, replacement: here('./test/wasm.workers.ts') }] },
        test: {
          name: 'workerd',
          include: ['test/engine/**/*.test.ts', 'test/attest/**/*.test.ts', 'test/worker/**/*.test.ts'],
        },
      },
    ],
  },
});
