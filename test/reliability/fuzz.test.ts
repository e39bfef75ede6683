// Property-based fuzzing with a fixed seed: parsers throw only typed 4xx errors within their limits, and the API
// answers any body with a 4xx problem+json, never a 500. scripts/fuzz.ts runs the same properties much longer.
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { initEngine } from '../../src/engine/backend';
import { loadWasm } from '../wasm';
import { API_PROPERTIES, apiFixture, params, SYNC_PROPERTIES, type ApiFixture } from './properties';

const SEED = 20261125;
const RUNS = 200;

describe('fuzz (fixed seed)', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    await initEngine(await loadWasm());
    f = await apiFixture();
  }, 30_000);

  it.each(Object.entries(SYNC_PROPERTIES))('%s', (_, prop) => {
    fc.assert(prop(), params(SEED, RUNS));
  });

  it.each(Object.entries(API_PROPERTIES))('%s', async (_, prop) => {
    await fc.assert(prop(f), params(SEED, RUNS));
  }, 20_000);
});
