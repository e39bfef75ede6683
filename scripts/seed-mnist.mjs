#!/usr/bin/env node
// `npm run seed`: bundles and runs src/jobs/seed.node.ts, which writes the built-in MNIST test and training splits to the
// bucket named by the S3_* variables (or to the embedded store under .data/s3 when none is set).
import { fileURLToPath } from 'node:url';
import { buildNode } from './build.mjs';

await buildNode();
const { seedMnist } = await import(fileURLToPath(new URL('../dist/seed-mnist.mjs', import.meta.url)));
const { keys, bytes } = await seedMnist();
console.log(`seeded ${keys.join(', ')} (${bytes} bytes)`);
