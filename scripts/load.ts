// Longer loopback load run (the CI test test/reliability/load.test.ts is short); prints a markdown table.
//   npm run build && node scripts/run-ts.mjs scripts/load.ts [--seconds 20] [--audits 40] [--polls 8]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadTable, runLoad } from '../test/reliability/load';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main(): Promise<void> {
  const workerPath = resolve('dist/audit-worker.mjs');
  if (!existsSync(workerPath)) throw new Error(`expected ${workerPath}, got none: run \`npm run build\` first`);
  const o = { seconds: flag('seconds', 20), uploads: flag('uploads', 40), uploadConnections: 4, audits: flag('audits', 40), auditConnections: 4, pollConnections: flag('polls', 8), workerPath };
  console.log(`load: ${JSON.stringify({ ...o, workerPath: undefined })}`);
  const r = await runLoad(o);
  console.log(loadTable(r));
  const finished = r.records.filter((x) => x.status === 'succeeded').length;
  const lost = [r.uploads, r.submits, r.polls].reduce((n, x) => n + x.errors + x.timeouts + x.non2xx, 0);
  // FIFO and one at a time: one run of events per audit, in the order the server admitted them.
  const fifo = r.runs.length === r.admitted.length && r.runs.every((id, i) => id === r.admitted[i]);
  console.log(`\naudits accepted ${r.submits['2xx']}, stored ${r.records.length}, succeeded ${finished}; models stored ${r.models}; ` +
    `requests failed or lost ${lost}; audits unfinished when polls ended ${r.runningAtPollEnd}; ran in admission order, one at a time: ${fifo}`);
  process.exit(lost === 0 && fifo && finished === r.submits['2xx'] && r.records.length === o.audits ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(2); });
