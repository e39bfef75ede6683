#!/usr/bin/env node
// The qaudit command: rebuilds the bundled CLI when a source file is newer than the bundle, then runs it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist', 'cli.mjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// An installed package ships dist/ without src/: its bundle is the one to run.
const src = join(root, 'src');
if (!existsSync(bundle) || (existsSync(src) && statSync(bundle).mtimeMs < newest(src))) {
  const { buildNode } = await import('../scripts/build.mjs');
  await buildNode();
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
