// The web front end's retraining pages (form, live job page) as static HTML; all behaviour lives in /ui/app.js.
import { html } from 'hono/html';
import { AuditSettingsSchema } from '../engine/audit/settings';
import { DEFAULT_RETRAIN_AUDIT, resolveRetrainConfig } from '../engine/train/config';
import type { RetrainFormDefaults } from './form-defaults';
import { ATTACKS, checkboxes, formEnd, shell } from './pages';
import type { Fragment } from './pages';

const METHODS: [string, string][] = [
  ['boundary', 'Boundary retraining (recommended)'], ['qat', 'Quantization-aware training (cross-entropy only)'],
  ['pgd-at', 'Adversarial training of the quantized model (PGD)'], ['at-then-quantize', 'Adversarial training, then quantization'],
  ['none', 'None: plain quantization (a baseline)'],
];
const options = (items: [string, string][], selected: string): Fragment[] =>
  items.map(([v, l]) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${l}</option>`);

/** A "built-in MNIST or my own file (.npz or zip of images)" choice: radios named `name`, a file input `${name}-file`. */
const dataChoice = (name: string, legend: string, builtin: string): Fragment => html`<fieldset>
<legend>${legend}</legend>
<label class="check"><input type="radio" name="${name}" value="mnist" checked> ${builtin}</label>
<label class="check"><input type="radio" name="${name}" value="npz"> My own file: an <code>.npz</code> or a zip of images</label>
<label for="${name}-file">${legend} file (<code>.npz</code> with <code>x</code> and <code>y</code>, or a <code>.zip</code> of class folders of PNG/JPEG images)</label>
<input id="${name}-file" name="${name}File" type="file" accept=".npz,.zip" disabled>
</fieldset>`;

/** The defaults of a retraining request and its closing audit, for the presets (src/ui/client/retrain.ts). */
export function retrainFormDefaults(): RetrainFormDefaults {
  // The method and bit width are required fields, and no default below depends on them.
  const c = resolveRetrainConfig({ method: 'boundary', bits: 4 });
  const a = AuditSettingsSchema.parse(DEFAULT_RETRAIN_AUDIT);
  return { epochs: c.epochs, batchSize: c.batchSize, seed: c.seed, attacks: a.attacks, epsilons: a.epsilons, limit: a.limit };
}

/** GET /retrain: a float model, method, bit width, budget (presets fill it), and the closing audit's settings. */
export function retrainFormPage(): string {
  return shell('Retrain', html`<h1>Retrain a model for quantization</h1>
<p>Trains a <em>k</em>-bit copy of a float model, then audits the original and the repaired model with the same attacks.</p>
<form id="retrain-form" data-defaults="${JSON.stringify(retrainFormDefaults())}" novalidate>
<fieldset>
<legend>Model</legend>
<label for="model-files">Float TensorFlow.js Layers model: <code>model.json</code> with its weight files; or an ONNX model: one <code>.onnx</code> file (with its external data files, if any); or one <code>.zip</code> of either</label>
<input id="model-files" name="model" type="file" multiple required accept=".json,.bin,.onnx,.data,.zip,application/json,application/zip,application/octet-stream" aria-describedby="model-help">
<p id="model-help" class="help">Select all files at once (hold Ctrl or Shift), or a single zip of them. An int8 QDQ ONNX model is audited as uploaded; a float one also as its k-bit twins.</p>
</fieldset>
<fieldset>
<legend>Retraining</legend>
<div class="presets" role="group" aria-labelledby="preset-label">
<span id="preset-label">Preset:</span>
<button type="button" data-preset="quick">Quick</button>
<button type="button" data-preset="standard">Standard</button>
</div>
<p id="preset-status" class="help" aria-live="polite"></p>
<label for="method">Method</label>
<select id="method" name="method">${options(METHODS, 'boundary')}</select>
<label for="bits">Bit width of the repaired model</label>
<select id="bits" name="bits">${options([8, 7, 6, 5, 4, 3, 2, 1].map((b) => [String(b), `${b} bit`]), '4')}</select>
<label for="defense">Input mapping to train in (the nonlinear-mapping defense)</label>
<select id="defense" name="defense" aria-describedby="defense-help">
<option value="none" selected>None</option><option value="staircase">Staircase input mapping</option>
<option value="sine">Sine input mapping</option><option value="random">Random input mapping</option>
</select>
<p id="defense-help" class="help">With a mapping, the network is fine-tuned behind it and both closing audits attack it plainly, adaptively (BPDA, EOT) and without gradients.</p>
<label for="epochs">Epochs (passes over the training data)</label>
<input id="epochs" name="epochs" type="number" min="1" max="1000" inputmode="numeric" required>
<label for="max-batches">Mini-batches at most (empty: every batch of every epoch)</label>
<input id="max-batches" name="maxBatches" type="number" min="1" inputmode="numeric">
<label for="batch-size">Samples per mini-batch</label>
<input id="batch-size" name="batchSize" type="number" min="1" max="256" inputmode="numeric">
<label for="seed">Seed</label>
<input id="seed" name="seed" type="number" min="0" inputmode="numeric">
</fieldset>
${dataChoice('train', 'Training set', 'Built-in MNIST training set')}
<fieldset>
<legend>Closing audit (before and after)</legend>
<fieldset class="inline"><legend>Attacks</legend>
${checkboxes('attacks', ATTACKS.filter(([a]) => a !== 'transfer'))}
</fieldset>
<label for="epsilons">Epsilons (comma separated)</label>
<input id="epsilons" name="epsilons" type="text" inputmode="decimal" autocomplete="off">
<label for="steps">Attack iterations (empty: method default)</label>
<input id="steps" name="steps" type="number" min="1" max="1000" inputmode="numeric">
<label for="limit">Samples evaluated</label>
<input id="limit" name="limit" type="number" min="1" max="10000" inputmode="numeric" required>
</fieldset>
${dataChoice('eval', 'Evaluation set', 'Built-in MNIST test set')}
${formEnd('Start retraining', 'Recent retraining jobs in this browser')}`, 'retrain-form');
}

const PHASES: [string, string][] = [['queued', 'Queued'], ['training', 'Training'], ['auditing', 'Auditing'], ['reporting', 'Report'], ['done', 'Done']];

/** GET /retrain-jobs/{id}: phase, progress bar, a loss curve that grows as steps finish, and the results when done. */
export function retrainJobPage(id: string): string {
  return shell(`Retraining ${id.slice(0, 8)}`, html`<h1>Retraining job <code>${id}</code></h1>
<section id="job" data-job="${id}">
<p id="status-line" aria-live="polite">Loading…</p>
<ol class="phases" aria-label="Phases">${PHASES.map(([p, l]) => html`<li data-phase="${p}">${l}</li>`)}</ol>
<div class="bar" id="bar" role="progressbar" aria-labelledby="bar-label" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
<div class="fill" id="bar-fill"></div>
</div>
<p id="bar-label"><span id="bar-what">Progress</span>: <span id="bar-text">0%</span></p>
<dl class="facts">
<dt>Method</dt><dd id="method">–</dd>
<dt id="count-label">Done</dt><dd id="count">–</dd>
<dt>Current step</dt><dd id="current">–</dd>
<dt>Estimated time left</dt><dd id="eta">–</dd>
<dt>Last loss</dt><dd id="last-loss">–</dd>
</dl>
<p id="error" class="error" role="alert" hidden></p>
<figure class="loss-figure">
<svg id="loss-chart" class="chart" viewBox="0 0 420 260" role="img" aria-label="Loss curve: no training step finished yet"></svg>
<figcaption>Training loss per step (means over the step's mini-batches).<ul class="legend" id="loss-legend"></ul></figcaption>
</figure>
<p id="audits" hidden>Audits: <a id="before-link" href="#">before</a> · <a id="after-link" href="#">after</a></p>
<p id="model" hidden>Repaired model: <a id="model-zip" href="/v1/retrain-jobs/${id}/model" download="repaired-model.zip">zip</a>
(or <a id="model-json" href="/v1/retrain-jobs/${id}/model/model.json">model.json</a> and <a id="weights-link" href="/v1/retrain-jobs/${id}/model/weights.bin" download="weights.bin">weights.bin</a>)</p>
<div id="done" hidden>
<h2>Results</h2>
<ul>
<li><a id="report-link" href="/v1/retrain-jobs/${id}/report.html">Open the retraining report</a> (<a id="report-json" href="/v1/retrain-jobs/${id}/report">JSON</a>)</li>
<li><a id="before-report" href="#">Before audit report</a> · <a id="after-report" href="#">After audit report</a></li>
</ul>
</div>
</section>
<p><a href="/retrain">Start another retraining job</a></p>`, 'retrain-job');
}
