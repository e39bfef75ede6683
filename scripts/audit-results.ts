// The "Audit: float vs quantized twins" section of docs/results.md (not a test): the standard audit (every default
// attack plus DIVA) of a float model and its w8, w4, w2 and w1 twins, on the LeNet-5 of scripts/lenet5.ts and on the
// ResNet-style reference model (test/fixtures/models/resnet-mnist), with AL, QL and the divergence rows. Writes the
// section between its markers; the other sections of the file are kept.
// Usage: node scripts/run-ts.mjs scripts/audit-results.ts [--samples 200] [--threads 2] [--out docs/results.md]
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import type { Report } from '../src/engine/audit';
import { saveLayersModel } from '../src/engine/model';
import { runAuditLocally } from '../src/jobs/runner.node';
import { startNodeEngine } from '../src/runtime/node';
import { LENET5_DESCRIPTION, lenet5 } from './lenet5';

const { values: a } = parseArgs({ options: {
  samples: { type: 'string', default: '200' }, threads: { type: 'string', default: '2' }, out: { type: 'string', default: 'docs/results.md' },
} });
const SAMPLES = Number(a.samples);
const EPSILONS = [0.03, 0.1, 0.3];
const ATTACKS = ['fgsm', 'pgd', 'apgd', 'square', 'transfer', 'diva'] as const;
const BEGIN = '<!-- audit-results:begin -->';
const END = '<!-- audit-results:end -->';
const log = (s: string) => console.error(s);
const pct = (v: number) => (100 * v).toFixed(1);

async function files(name: string): Promise<{ modelJson: unknown; shards: [string, Uint8Array][]; description: string }> {
  if (name === 'lenet5') {
    const { model, dir } = await lenet5(loadBuiltinMnist().train, { epochs: 8, learningRate: 1e-3, seed: 0 }, log);
    const { json, weights } = saveLayersModel(model, { weights: 'float32' });
    model.dispose();
    return { modelJson: json, shards: [['weights.bin', weights]], description: `${LENET5_DESCRIPTION}; trained by scripts/lenet5.ts (8 epochs, Adam 1e-3, seed 0; cached in ${dir})` };
  }
  const dir = `test/fixtures/models/${name}/float`;
  return {
    modelJson: JSON.parse(await readFile(`${dir}/model.json`, 'utf8')), shards: [['weights.bin', new Uint8Array(await readFile(`${dir}/weights.bin`))]],
    description: `the ResNet-style reference model (${dir}, trained in PyTorch by scripts/reference)`,
  };
}

/** One table per model: a row per variant, a column per attack and epsilon, then the worst case, AL and QL. */
function table(r: Report): string[] {
  const cols = EPSILONS.flatMap((e) => ATTACKS.filter((x) => x !== 'diva').map((x) => [x, e] as const));
  const head = `| variant | clean | ${cols.map(([x, e]) => `${x}@${e}`).join(' | ')} | ${EPSILONS.map((e) => `worst@${e}`).join(' | ')} | ${EPSILONS.map((e) => `AL worst@${e}`).join(' | ')} | ${EPSILONS.map((e) => `QL worst@${e}`).join(' | ')} | ${EPSILONS.map((e) => `DIVA divergence@${e}`).join(' | ')} |`;
  const sep = `|${'---|'.repeat(2 + cols.length + 4 * EPSILONS.length)}`;
  const rows = r.variants.map(({ name: v }) => {
    const row = (x: string, e: number) => r.rows.find((o) => o.variant === v && o.defense === 'none' && !o.adaptive && o.attack === x && o.epsilon === e);
    const clean = r.clean.find((c) => c.variant === v && c.defense === 'none')!;
    const worst = (e: number) => r.worstCase.find((w) => w.variant === v && w.defense === 'none' && w.epsilon === e);
    const al = (e: number) => r.criteria.al.find((c) => c.variant === v && c.defense === 'none' && c.attack === 'worst' && c.epsilon === e);
    const ql = (e: number) => r.criteria.ql.find((c) => c.variant === v && c.defense === 'none' && c.attack === 'worst' && c.epsilon === e);
    const cell = (x: { accuracy?: number; value?: number; divergence?: number } | undefined, k: 'accuracy' | 'value' | 'divergence') => (x?.[k] === undefined ? '-' : pct(x[k]!));
    return `| ${v} | ${pct(clean.accuracy)} | ${cols.map(([x, e]) => cell(row(x, e), 'accuracy')).join(' | ')} | ${EPSILONS.map((e) => cell(worst(e), 'accuracy')).join(' | ')} | ${EPSILONS.map((e) => cell(al(e), 'value')).join(' | ')} | ${EPSILONS.map((e) => cell(ql(e), 'value')).join(' | ')} | ${EPSILONS.map((e) => cell(row('diva', e), 'divergence')).join(' | ')} |`;
  });
  return [head, sep, ...rows];
}

/** What the table says about METHOD.md's claim 1 (the two losses, analysed together), per model. */
function claims(name: string, r: Report): string[] {
  const e = Math.max(...EPSILONS);
  const ql = (v: string) => r.criteria.ql.find((c) => c.variant === v && c.defense === 'none' && c.attack === 'clean')?.value ?? 0;
  const qlw = (v: string) => r.criteria.ql.find((c) => c.variant === v && c.defense === 'none' && c.attack === 'worst' && c.epsilon === e)?.value;
  const twins = r.variants.map((v) => v.name).filter((v) => v !== r.variants[0]!.name);
  const out = [`- ${name}: clean QL (points) ${twins.map((v) => `${v} ${pct(ql(v))}`).join(', ')}; worst-case QL at eps ${e}: ${twins.map((v) => `${v} ${qlw(v) === undefined ? '-' : pct(qlw(v)!)}`).join(', ')}.`];
  const flags = r.flags.map((f) => `${f.id} (${f.variant ?? ''}${f.attack ? ` ${f.attack}` : ''}${f.epsilon !== undefined ? `@${f.epsilon}` : ''})`);
  out.push(`  Sanity flags: ${flags.length ? flags.join(', ') : 'none'}.`);
  return out;
}

async function main(): Promise<void> {
  await startNodeEngine();
  const t0 = performance.now();
  const load = loadavg()[0]!.toFixed(1);
  const parts: string[] = [];
  const claimLines: string[] = [];
  for (const name of ['lenet5', 'resnet-mnist']) {
    const f = await files(name);
    log(`${name}: auditing ${SAMPLES} samples ...`);
    const { report } = await runAuditLocally({
      modelJson: f.modelJson, shards: f.shards, data: 'mnist', builtin: () => loadBuiltinMnist().test, threads: Number(a.threads), workerPath: resolve('dist/audit-worker.mjs'),
      settings: { attacks: [...ATTACKS], epsilons: EPSILONS, bits: [8, 4, 2, 1], limit: SAMPLES, seed: 0 },
    });
    parts.push(`### ${name}`, '', `Model: ${f.description}.`, '', ...table(report), '');
    claimLines.push(...claims(name, report));
  }
  const command = `node scripts/run-ts.mjs scripts/audit-results.ts ${process.argv.slice(2).join(' ')}`.trim();
  const body = [
    BEGIN,
    `Command: \`${command}\` (${((performance.now() - t0) / 1000).toFixed(0)} s on ${cpus().length} cores, load average ${load} at the start: the machine was shared).`,
    `Accuracy in % on the first ${SAMPLES} samples of the built-in MNIST test split; every default attack (FGSM; PGD 40 x 0.01, random start; APGD-CE 100; Square 1000 queries; transfer = PGD crafted on the float model) at L-inf eps ${EPSILONS.join(' and ')}, on the float upload and its w8/w4/w2/w1 twins (METHOD.md's quantizer, per tensor). A sample counts as correct only if it is correct clean and after the attack. "worst" = the per-sample worst case over the attacks of the row's variant; AL and QL are METHOD.md's criteria on it (QL's worst over the attacks both variants have); DIVA divergence = the fraction of samples on which the twin is wrong and the float model right after DIVA (failures only quantization causes).`,
    '',
    ...parts,
    '### What is and is not reproduced (generated)',
    '',
    '- Claim 1 (adversarial loss and quantization loss analysed together, with criteria for both): the tables give both per variant and attack, from one audit each.',
    ...claimLines,
    END,
  ].join('\n');
  let doc = await readFile(a.out!, 'utf8');
  const placeholder = '(filled by the audit benchmark)';
  if (doc.includes(BEGIN)) doc = doc.slice(0, doc.indexOf(BEGIN)) + body + doc.slice(doc.indexOf(END) + END.length);
  else if (doc.includes(placeholder)) doc = doc.replace(placeholder, body);
  else throw new Error(`expected ${a.out} to hold the audit section's markers or its placeholder, got neither`);
  await writeFile(a.out!, doc);
  log(`wrote ${a.out}`);
}

await main();
