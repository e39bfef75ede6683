// Where the time goes (not a test): runs every chunk of a small standard audit (32 samples) on this thread and sums
// the time per chunk kind and per top-level tfjs kernel. Run: node scripts/run-ts.mjs bench/profile.ts [attack]
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { auditParts, createAuditContext, parseSettings, planAudit, runChunk } from '../src/engine/audit';
import { loadModel, mnistSamples } from './measure';
await startNodeEngine();
const settings = parseSettings({ attacks: ['fgsm', 'pgd', 'apgd', 'square'], epsilons: [0.1, 0.2, 0.3], bits: [8, 4, 2], limit: 32, sanity: false, seed: 0 });
const model = loadModel();
const data = mnistSamples(model, 32);
const ctx = createAuditContext(auditParts(model, data), settings);
const chunks = planAudit(settings, { modelBits: null, dataSize: 32 });
const agg = new Map<string, [number, number]>();
const eng = tf.engine() as any;
const orig = eng.runKernel.bind(eng);
let depth = 0;
eng.runKernel = (name: string, inputs: any, attrs: any) => {
  const top = depth === 0; depth++;
  const t0 = performance.now();
  try { return orig(name, inputs, attrs); } finally {
    depth--;
    if (top) { const dt = performance.now() - t0; const a = agg.get(name) ?? [0, 0]; a[0] += dt; a[1]++; agg.set(name, a); }
  }
};
const byKind = new Map<string, number>();
const which = process.argv[2] ?? '';
for (const c of chunks) {
  if (c.kind === 'attack' && which && c.attack !== which) continue;
  const t0 = performance.now();
  await runChunk(ctx, c);
  const k = c.kind === 'attack' ? c.attack : c.kind;
  byKind.set(k, (byKind.get(k) ?? 0) + performance.now() - t0);
}
console.log([...byKind].map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`).join(', '));
const tot = [...agg.values()].reduce((a, b) => a + b[0], 0);
console.log(`top-level kernel time ${(tot / 1000).toFixed(2)} s, calls ${[...agg.values()].reduce((a, b) => a + b[1], 0)}`);
for (const [k, [t, n]] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 22)) console.log(`${k.padEnd(26)} ${t.toFixed(0).padStart(7)} ms ${String(n).padStart(7)} calls ${(1000 * t / n).toFixed(0)} us/call`);
