// What `qaudit audit` and `qaudit submit --wait` do with a finished report: the files (JSON, JUnit, SARIF,
// Markdown, model card), the --fail-under gate and the --baseline/--max-drop regression gate, as one exit code.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { checkThresholds, parseThresholds, renderJunit } from '../engine/audit';
import type { Report, Threshold } from '../engine/audit';
import { EngineError } from '../engine/errors';
import { gateOutsideRun } from '../report/gates';
import { renderReportHtml, type SignatureInfo } from '../report/html';
import { renderMarkdown } from '../report/markdown';
import { renderModelCard } from '../report/model-card';
import { compareReports, formatDeltas, parseMaxDrop, type MaxDrop } from '../report/regression';
import { renderSarif } from '../report/sarif';
import { loadBaseline, type Baseline } from './baseline';

/** Output and gate flags shared by audit and submit (AUDIT_OPTIONS spreads them). */
export const OUTPUT_OPTIONS = {
  out: { type: 'string' },
  junit: { type: 'string' },
  html: { type: 'string' },
  sarif: { type: 'string' },
  markdown: { type: 'string' },
  'model-card': { type: 'string' },
  'per-sample': { type: 'string' },
  'fail-under': { type: 'string' },
  baseline: { type: 'string' },
  'max-drop': { type: 'string' },
  keys: { type: 'string' },
} as const;

export const OUTPUT_HELP = `  --out FILE          write the JSON report
  --junit FILE        write a JUnit XML report
  --html FILE         write the report as a self-contained HTML page
  --sarif FILE        write SARIF 2.1.0 (code scanning): missed thresholds and error-level sanity flags
  --markdown FILE     write a Markdown summary (tables of the headline, variants, thresholds, deltas)
  --model-card FILE   write a Hugging Face model card model-index block (YAML front matter)
  --per-sample FILE   write per-sample results as JSON lines: {sample, row, label, prediction, correct} per row
                      and sample (docs/report.md#per-sample-results)
  --fail-under LIST   thresholds like "pgd@0.3=0.5,fgsm@0.1=0.8": exit 1 when accuracy is below
  --baseline SPEC     an earlier report to compare with: report.json, its attestation file (verified with --keys),
                      a report URL, or an audit id with --server (verified with the server's keys)
  --max-drop LIST     with --baseline: allowed drops in accuracy, like "pgd@0.1=0.02,worst@0.3=0.05": exit 1 beyond
  --keys URL|FILE     trusted keys for a signed --baseline (and, for submit, the report)`;

type OutputFlags = { [K in keyof typeof OUTPUT_OPTIONS]?: string };

export interface Gates { thresholds: Threshold[]; drops: MaxDrop[]; baselineSpec?: string }

/** Parses the gates and refuses, before any work, one that names an attack or epsilon the run will not evaluate. */
export function parseGates(f: OutputFlags, settings: { attacks: readonly string[]; epsilons: readonly number[] }): Gates {
  const thresholds = f['fail-under'] ? parseThresholds(f['fail-under']) : [];
  const drops = f['max-drop'] ? parseMaxDrop(f['max-drop']) : [];
  if (f.baseline && drops.length === 0) throw new EngineError('invalid_argument', '--baseline: expected --max-drop with it (the drops allowed against the baseline), got none');
  if (drops.length && !f.baseline) throw new EngineError('invalid_argument', '--max-drop: expected --baseline with it (the report to compare with), got none');
  const names = { attacks: '--attacks', epsilons: '--eps' };
  const outside = gateOutsideRun(thresholds, settings, names);
  if (outside) throw new EngineError('invalid_argument', `--fail-under: ${outside}`);
  const outsideDrop = gateOutsideRun(drops, settings, names);
  if (outsideDrop) throw new EngineError('invalid_argument', `--max-drop: ${outsideDrop}`);
  return { thresholds, drops, baselineSpec: f.baseline };
}

/** Loads (and verifies) the baseline before the audit, so a wrong one costs nothing. */
export async function prepareBaseline(g: Gates, o: { server?: string; keys?: string; apiKey?: string }): Promise<Baseline | undefined> {
  if (!g.baselineSpec) return undefined;
  const b = await loadBaseline(g.baselineSpec, o);
  console.log(`baseline: ${b.source}${b.signedBy ? ` (attestation verified, keyid ${b.signedBy})` : ' (not signed)'}`);
  return b;
}

/** The model file as the repository names it (SARIF location), relative to the working directory when inside it. */
function artifactPath(model: string): string {
  const rel = relative(process.cwd(), resolve(model));
  return (rel.startsWith('..') ? model : rel).split(sep).join('/');
}

/** Writes JSON lines (already text, or SampleLine-like objects) to `file`, streaming. */
export async function writeJsonLines(file: string, lines: Iterable<unknown> | AsyncIterable<Uint8Array>): Promise<void> {
  const source = Symbol.asyncIterator in lines ? lines : Readable.from((function* () {
    for (const l of lines as Iterable<unknown>) yield `${JSON.stringify(l)}\n`;
  })());
  await pipeline(source, createWriteStream(file));
}

export async function writeOutputs(report: Report, f: OutputFlags, g: Gates, o: { model: string; baseline?: Baseline; reportUrl?: string; signature?: SignatureInfo }): Promise<number> {
  const comparison = o.baseline ? compareReports(report, o.baseline.report, g.drops) : undefined;
  const write = (file: string | undefined, text: string) => (file ? writeFile(file, text) : undefined);
  await write(f.out, JSON.stringify(report, null, 2) + '\n');
  await write(f.junit, renderJunit(report, g.thresholds));
  await write(f.html, renderReportHtml(report, { signature: o.signature ?? { status: 'unsigned' } }));
  await write(f.sarif, JSON.stringify(renderSarif(report, g.thresholds, { artifact: artifactPath(o.model) }), null, 2) + '\n');
  await write(f.markdown, renderMarkdown(report, { thresholds: g.thresholds, deltas: comparison?.deltas, reportUrl: o.reportUrl }));
  await write(f['model-card'], renderModelCard(report, { name: basename(dirname(resolve(o.model))), reportUrl: o.reportUrl }));
  const gate = checkThresholds(report, g.thresholds);
  for (const x of gate.failures) console.log(`FAIL ${x.message}`);
  if (comparison) {
    console.log(`\nagainst the baseline (${o.baseline!.source}):\n${formatDeltas(comparison.deltas)}`);
    for (const d of comparison.deltas) if (d.message) console.log(`FAIL ${d.message}`);
  }
  return gate.passed && (comparison?.passed ?? true) ? 0 : 1;
}
