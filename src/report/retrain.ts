// The retraining report page: loss curve, before/after robustness curves and clean accuracies, links to both audits.
// Self-contained like the audit page (inline CSS and SVG, no script); links only to this server's own pages.
import type { Report } from '../engine/audit/report';
import type { RetrainReport } from '../jobs/types';
import { pct } from '../engine/format';
import { renderPage, type SignatureInfo } from './html';
import { renderLossChart } from './loss';
import { defenseSection, mappingLabel } from './retrain-defense';
import { table } from './sections';
import { renderChart, renderLegend, type Series } from './svg';
import { html, lines, type Html } from './template';

export interface RetrainRenderOptions {
  /** The retraining report's own attestation, when the server serves one; the audits' are always shown. */
  signature?: SignatureInfo;
}

/** The three models of every comparison, as chart variants (colours follow this order). */
const names = (bits: unknown) => {
  const k = Number.isInteger(bits) ? `${bits}-bit` : 'k-bit';
  return { float: 'float original', quantized: `${k} plain`, repaired: `${k} repaired` } as const;
};
type Which = 'float' | 'quantized' | 'repaired';
const WHICH: Which[] = ['float', 'quantized', 'repaired'];

const signedPts = (x: number) => `${x > 0 ? '+' : ''}${(100 * x).toFixed(1)} pts`;
const setting = (r: RetrainReport, k: string) => (r.settings[k] === undefined ? '–' : String(r.settings[k]));

function summarySection(r: RetrainReport, jobId: string, n: ReturnType<typeof names>): Html {
  const last = r.loss.at(-1);
  return html`<dl class="facts">
<dt>Job</dt><dd><code>${jobId}</code>, report written ${r.createdAt}</dd>
<dt>Method</dt><dd>${setting(r, 'method')}, ${setting(r, 'bits')}-bit weights, ${setting(r, 'epochs')} epoch(s), seed ${setting(r, 'seed')}</dd>${r.defense ? html`
<dt>Defense trained in</dt><dd><code>${mappingLabel(r.defense.setting)}</code></dd>` : ''}
<dt>Original model</dt><dd><code>${r.models.original}</code></dd>
<dt>Repaired model</dt><dd><code>${r.models.repaired}</code></dd>
<dt>Training data</dt><dd>${r.data.train}</dd>
<dt>Evaluation data</dt><dd>${r.data.eval}</dd>
<dt>Training</dt><dd>${r.loss.length} step(s)${last ? `, final loss ${last.loss.toFixed(4)}` : ''}</dd>
</dl>
${table('Clean accuracy', ['model', 'accuracy', 'change against plain'], WHICH.map((w) => [n[w], pct(r.clean[w]), w === 'float' ? '' : signedPts(r.clean[w] - r.clean.quantized)]))}`;
}

function lossSection(r: RetrainReport): Html {
  if (r.loss.length === 0) return html`<p>No training step was recorded (method <code>none</code> quantizes without training).</p>`;
  const last = r.loss.at(-1)!;
  const label = `Training loss against step, ${r.loss.length} steps, final loss ${last.loss.toFixed(4)}`;
  const rows = r.loss.map((p) => [p.step, p.loss.toFixed(4), p.ce.toFixed(4), p.boundary?.toFixed(4) ?? '', p.distill?.toFixed(4) ?? '', p.samples]);
  return html`<figure class="curve" data-chart="loss">${renderLossChart(r.loss, label)}<figcaption>Means over each step's mini-batches.</figcaption></figure>
<details><summary>Loss per step as a table</summary>${table('Loss per step', ['step', 'loss', 'cross-entropy', 'boundary', 'distillation', 'samples'], rows)}</details>`;
}

/** One series per model for one attack; epsilon 0 is the clean accuracy. */
export function retrainSeries(r: RetrainReport, attack: string, n: ReturnType<typeof names>): Series[] {
  const rows = r.robust.filter((x) => x.attack === attack).sort((a, b) => a.epsilon - b.epsilon);
  return WHICH.map((w) => ({
    variant: n[w], defense: 'none', adaptive: false,
    points: [[0, r.clean[w]] as [number, number], ...rows.map((x): [number, number] => [x.epsilon, x[w]])],
  }));
}

function curvesSection(r: RetrainReport, n: ReturnType<typeof names>): Html {
  const variants = WHICH.map((w) => n[w]);
  const attacks = [...new Set(r.robust.map((x) => x.attack))];
  const figs = attacks.map((a) => {
    const series = retrainSeries(r, a, n);
    const chart = renderChart(series, variants, `${a}: accuracy against epsilon before and after retraining, ${series.length} series`);
    return html`<figure class="curve" data-attack="${a}">${chart}<figcaption><b>${a}</b>, white-box, no defense. Epsilon 0 is the clean accuracy.${renderLegend(series, variants)}</figcaption></figure>`;
  });
  const rows = r.robust.map((x) => [x.attack, x.epsilon, pct(x.float), pct(x.quantized), pct(x.repaired), signedPts(x.repaired - x.quantized)]);
  return html`${figs.length ? html`<div class="charts">${lines(figs)}</div>` : html`<p>The audits have no white-box rows to compare.</p>`}
${table('Robust accuracy before and after', ['attack', 'epsilon', n.float, n.quantized, n.repaired, 'repaired against plain'], rows)}`;
}

/** A link taken from the report only when it is a path on this server (no scheme, no protocol-relative //host). */
const localHref = (v: string | undefined, fallback: string) => (v && /^\/(?![/\\])/.test(v) ? v : fallback);

function auditItem(label: string, a: RetrainReport['audits']['before'], rep: Report): Html {
  const page = localHref(a.links.reportHtml, `/v1/audits/${encodeURIComponent(a.id)}/report.html`);
  const json = localHref(a.links.report, `/v1/audits/${encodeURIComponent(a.id)}/report`);
  const worst = rep.headline.map((h) => `${pct(h.accuracy)} at ε ${h.epsilon}`).join(', ');
  const flags = rep.flags.length ? `${rep.flags.length} sanity flag(s): ${[...new Set(rep.flags.map((f) => f.id))].join(', ')}` : 'no sanity flag';
  const links = html`<a href="${page}">audit <code>${a.id}</code> report</a> (<a href="${json}">JSON</a>)`;
  const variants = rep.variants.map((v) => v.name).join(', ');
  return html`<li><b>${label}</b>: ${links}. Variants ${variants} on ${rep.data.name} (${rep.data.samples} samples); worst case ${worst || '–'}; ${flags}.</li>`;
}

function auditsSection(r: RetrainReport, before: Report, after: Report): Html {
  return html`<p>Both audits ran with the same settings and evaluation samples, so their numbers compare row by row. Their reports hold the details: every attack row, criteria, flags and example images.</p>
<ul class="audits">${auditItem('Before', r.audits.before, before)}${auditItem('After', r.audits.after, after)}</ul>`;
}

function signatureSection(r: RetrainReport, o: RetrainRenderOptions): Html {
  const sig = o.signature;
  const own = sig?.status === 'signed'
    ? html`<p><b>Signed</b>${sig.keyid ? html` with key <code>${sig.keyid}</code>` : ''}: a DSSE envelope holding an in-toto Statement whose subjects are both models' SHA-256 digests and whose predicate is this report.</p>${sig.verifyCommand ? html`<pre><code>${sig.verifyCommand}</code></pre>` : ''}`
    : html`<p>Each number on this page comes from the two audits below; check their signatures to trust them.</p>`;
  const cmd = (id: string, model: string) => `curl -o ${model}-attestation.json "$QAUDIT_URL/v1/audits/${id}/attestation"\nqaudit verify ${model}-attestation.json --keys "$QAUDIT_URL"`;
  return html`${own}<p>Verify the audits (add <code>--model model.json</code> to check the subject is your model):</p>
<pre><code>${cmd(r.audits.before.id, 'before')}\n${cmd(r.audits.after.id, 'after')}</code></pre>`;
}

function settingsSection(r: RetrainReport): Html {
  const rows = Object.entries(r.settings).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  return html`${table('Resolved retraining settings', ['setting', 'value'], rows)}
<p>The same original model, training data and settings give the same repaired model: every random draw is keyed by the seed.</p>
<details><summary>Settings as JSON</summary><pre><code>${JSON.stringify(r.settings, null, 2)}</code></pre></details>`;
}

/** The retraining report page as one HTML string; `before` and `after` are the two audits' reports. */
export function renderRetrainReportHtml(r: RetrainReport, before: Report, after: Report, jobId: string, opts: RetrainRenderOptions = {}): string {
  const n = names(r.settings.bits);
  const sections: [string, string, () => Html][] = [
    ['summary', 'Summary', () => summarySection(r, jobId, n)],
    ['loss', 'Loss curve', () => lossSection(r)],
    ['curves', 'Robustness before and after', () => curvesSection(r, n)],
    ...(r.defense ? [['defense', 'Behind the defense', () => defenseSection(r.defense!, n)] as [string, string, () => Html]] : []),
    ['audits', 'Audits', () => auditsSection(r, before, after)],
    ['signature', 'Signature', () => signatureSection(r, opts)],
    ['settings', 'Settings to reproduce', () => settingsSection(r)],
  ];
  return renderPage(`qaudit retraining report ${jobId}`, sections);
}
