// The web front end's audit pages (upload form, audit progress) as static HTML; all behaviour lives in /ui/app.js.
// Pages are hono `html` templates: every interpolated string is escaped, fragments made by `html` are not.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { SQUARE_DEFAULTS } from '../engine/attacks/square';
import { parseSettings } from '../engine/audit/settings';
import type { AuditFormDefaults } from './form-defaults';

/** A fragment of a page (these templates interpolate strings, numbers and fragments, never a promise). */
export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

export function shell(title: string, body: Fragment, page: string): string {
  return (html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · qaudit</title>
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body data-page="${page}">
<header><a href="/" class="brand">qaudit</a><nav aria-label="Site"><a href="/">New audit</a> <a href="/retrain">Retrain a model</a></nav></header>
<main id="main">
${body}
</main>
</body>
</html>` as HtmlEscapedString).toString();
}

export const ATTACKS: [string, string][] = [
  ['fgsm', 'FGSM'], ['pgd', 'PGD'], ['apgd', 'APGD-CE'], ['apgd-dlr', 'APGD-DLR'], ['apgd-t', 'APGD-T (targeted)'], ['cw', 'CW-PGD (margin loss)'],
  ['square', 'Square (black box)'], ['transfer', 'Transfer (black box)'], ['diva', 'DIVA (float vs quantized divergence)'],
  ['hsj', 'HopSkipJump (labels only)'],
];
const BITS = [8, 6, 4, 3, 2, 1];

export const checkboxes = (name: string, items: [string, string][]): Fragment[] => items
  .map(([v, label]) => html`<label class="check"><input type="checkbox" name="${name}" value="${v}"> ${label}</label>
`);

/** The defaults of an audit request, for the presets (src/ui/client/audit.ts). */
export function auditFormDefaults(): AuditFormDefaults {
  const s = parseSettings({});
  return {
    attacks: s.attacks, norm: s.norm, epsilons: s.epsilons, bits: s.bits, defense: s.defense === 'none' ? 'none' : s.defense.mapping, limit: s.limit,
    thoroughQueries: SQUARE_DEFAULTS.queriesThorough,
  };
}

/** GET /: choose model, data, settings (presets fill the fields) and submit. */
export function uploadPage(): string {
  return shell('New audit', html`<h1>New robustness audit</h1>
<form id="audit-form" data-defaults="${JSON.stringify(auditFormDefaults())}" novalidate>
<fieldset>
<legend>Model</legend>
<label for="model-files">TensorFlow.js Layers model: <code>model.json</code> with its weight files; or an ONNX model: one <code>.onnx</code> file (with its external data files, if any); or one <code>.zip</code> of either</label>
<input id="model-files" name="model" type="file" multiple required accept=".json,.bin,.onnx,.data,.zip,application/json,application/zip,application/octet-stream" aria-describedby="model-help">
<p id="model-help" class="help">Select all files at once (hold Ctrl or Shift), or a single zip of them. An int8 QDQ ONNX model is audited as uploaded; a float one also as its k-bit twins.</p>
</fieldset>
<fieldset>
<legend>Evaluation set</legend>
<label class="check"><input type="radio" name="data" value="mnist" checked> Built-in MNIST test set</label>
<label class="check"><input type="radio" name="data" value="npz"> My own file: an <code>.npz</code> or a zip of images</label>
<label for="npz-file">Evaluation set file (<code>.npz</code> with <code>x</code> and <code>y</code>, or a <code>.zip</code> of class folders of PNG/JPEG images)</label>
<input id="npz-file" name="npz" type="file" accept=".npz,.zip" disabled aria-describedby="npz-help">
<p id="npz-help" class="help">Images: one folder per class (<code>cat/1.png</code>, <code>dog/2.jpg</code>), labels in folder-name order; resized to the model's input.</p>
</fieldset>
<fieldset>
<legend>Settings</legend>
<div class="presets" role="group" aria-labelledby="preset-label">
<span id="preset-label">Preset:</span>
<button type="button" data-preset="quick">Quick</button>
<button type="button" data-preset="standard">Standard</button>
<button type="button" data-preset="thorough">Thorough</button>
</div>
<p id="preset-status" class="help" aria-live="polite"></p>
<fieldset class="inline"><legend>Attacks</legend>
${checkboxes('attacks', ATTACKS)}
</fieldset>
<label for="norm">Norm</label>
<select id="norm" name="norm"><option value="linf">L∞</option><option value="l2">L2</option></select>
<label for="epsilons">Epsilons (comma separated)</label>
<input id="epsilons" name="epsilons" type="text" inputmode="decimal" autocomplete="off">
<fieldset class="inline"><legend>Bit widths of the quantized twins</legend>
${checkboxes('bits', BITS.map((b) => [String(b), `${b} bit`]))}
</fieldset>
<label for="defense">Defense</label>
<select id="defense" name="defense">
<option value="none">None</option><option value="staircase">Staircase input mapping</option>
<option value="sine">Sine input mapping</option><option value="random">Random input mapping</option>
</select>
<label for="steps">Attack iterations (empty: method default)</label>
<input id="steps" name="steps" type="number" min="1" max="1000" inputmode="numeric">
<label for="queries">Query budget of Square and HopSkipJump (empty: method default)</label>
<input id="queries" name="queries" type="number" min="1" max="10000" inputmode="numeric">
<label for="limit">Samples evaluated</label>
<input id="limit" name="limit" type="number" min="1" max="10000" inputmode="numeric" required>
</fieldset>
${formEnd('Start audit', 'Recent audits in this browser')}`, 'upload');
}

/** The end of a job form: the API-key field, the submit button, a live status line, and this browser's recent jobs. */
export const formEnd = (submit: string, recent: string): Fragment => html`<details>
<summary>API key (only when the server requires one)</summary>
<label for="api-key">API key</label>
<input id="api-key" name="apiKey" type="password" autocomplete="off">
</details>
<button type="submit" id="submit">${submit}</button>
<p id="form-status" role="status" aria-live="polite"></p>
</form>
<section aria-labelledby="recent-h"><h2 id="recent-h">${recent}</h2><ul id="recent"></ul></section>`;

/** GET /audits/{id}: a progress bar that app.js keeps current by polling the API. */
export function progressPage(id: string): string {
  return shell(`Audit ${id.slice(0, 8)}`, html`<h1>Audit <code>${id}</code></h1>
<section id="audit" data-audit="${id}">
<p id="status-line" aria-live="polite">Loading…</p>
<div class="bar" id="bar" role="progressbar" aria-labelledby="bar-label" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
<div class="fill" id="bar-fill"></div>
</div>
<p id="bar-label">Progress: <span id="bar-text">0%</span></p>
<dl class="facts">
<dt>Chunks</dt><dd id="chunks">–</dd>
<dt>Current step</dt><dd id="current">–</dd>
<dt>Estimated time left</dt><dd id="eta">–</dd>
</dl>
<p id="error" class="error" role="alert" hidden></p>
<p id="done" hidden><a id="report-link" href="/v1/audits/${id}/report.html">Open the report</a>
· <a href="/v1/audits/${id}/report">JSON</a> · <a href="/v1/audits/${id}/report.junit.xml">JUnit</a> · <a href="/v1/audits/${id}/samples.jsonl">per-sample JSON lines</a></p>
</section>
<p><a href="/">Start another audit</a></p>`, 'progress');
}
