// Long fuzz run of the properties in test/reliability/properties.ts (the CI test runs them with a fixed seed, briefly):
//   node scripts/run-ts.mjs scripts/fuzz.ts [--runs N] [--seed S] [--only name,name]
import fc from 'fast-check';
import { startNodeEngine } from '../src/runtime/node';
import { API_PROPERTIES, apiFixture, params, SYNC_PROPERTIES } from '../test/reliability/properties';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const runs = Number(flag('runs', '5000'));
  const seed = Number(flag('seed', String(Date.now() % 2 ** 31)));
  const only = flag('only', '').split(',').filter(Boolean);
  await startNodeEngine();
  const fixture = await apiFixture();
  const pick = (n: string) => only.length === 0 || only.includes(n);
  const rows: [string, number, number, string][] = [];
  let failed = 0;
  const run = async (name: string, check: () => Promise<unknown> | unknown) => {
    const t0 = performance.now();
    let verdict = 'ok';
    try {
      await check();
    } catch (e) {
      failed++;
      verdict = 'FAILED';
      console.error(`\n${name}:\n${(e as Error).message}`);
    }
    rows.push([name, runs, Math.round(performance.now() - t0), verdict]);
    console.log(`${name.padEnd(12)} ${String(runs).padStart(7)} runs ${String(rows.at(-1)![2]).padStart(7)} ms  ${verdict}`);
  };
  console.log(`fuzz: seed ${seed}, ${runs} runs per property (replay with --seed ${seed})`);
  for (const [name, prop] of Object.entries(SYNC_PROPERTIES)) if (pick(name)) await run(name, () => fc.assert(prop(), params(seed, runs)));
  for (const [name, prop] of Object.entries(API_PROPERTIES)) if (pick(name)) await run(name, () => fc.assert(prop(fixture), params(seed, runs)));
  console.log(`\n| property | runs | ms | result |\n|---|---:|---:|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
