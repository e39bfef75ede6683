// The retraining part of /ui/app.js: the form (presets, uploads, submit) and the live job page (polls the job every
// second, redraws its progress and loss curve). It uses the helpers defined before it in APP_JS ($, call, headers,
// uploadModel, eta). Plain ES2020 in a string; it must not contain backticks.
import { LOSS_CHART, LOSS_PARTS } from '../report/loss';

/** The loss chart's geometry and parts, shared with the report page's chart (src/report/loss.ts). */
const CONSTANTS = `const LOSS_CHART = ${JSON.stringify(LOSS_CHART)};\nconst LOSS_PARTS = ${JSON.stringify(LOSS_PARTS)};\n`;

export const RETRAIN_JS = CONSTANTS + String.raw`
const RETRAIN_PRESETS = {
  quick: { epochs: '1', maxBatches: '16', batchSize: '16', seed: '0', attacks: ['fgsm', 'pgd'], epsilons: '0.1, 0.3', steps: '5', limit: '16' },
  standard: { epochs: '1', maxBatches: '', batchSize: '32', seed: '0', attacks: ['fgsm', 'pgd', 'apgd'], epsilons: '0.1, 0.2, 0.3', steps: '', limit: '100' },
};
const RECENT_RETRAIN = 'qaudit.recent-retrain';

function applyRetrainPreset(form, name) {
  const p = RETRAIN_PRESETS[name];
  for (const k of ['epochs', 'maxBatches', 'batchSize', 'seed', 'epsilons', 'steps', 'limit']) form.elements[k].value = p[k];
  for (const box of form.querySelectorAll('input[name=attacks]')) box.checked = p.attacks.includes(box.value);
  for (const b of form.querySelectorAll('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === name));
  $('preset-status').textContent = 'Preset "' + name + '" applied.';
}

async function uploadDataChoice(form, name, label) {
  if (form.elements[name].value !== 'npz') return 'mnist';
  const file = form.elements[name + 'File'].files[0];
  if (!file) throw new Error('Choose the ' + label + ' .npz or .zip file, or pick the built-in MNIST set.');
  $('form-status').textContent = 'Uploading the ' + label + '…';
  return (await call('/v1/datasets', { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: file })).id;
}

function retrainBody(form) {
  const num = (k) => (form.elements[k].value === '' ? undefined : Number(form.elements[k].value));
  const attacks = [...form.querySelectorAll('input[name=attacks]:checked')].map((b) => b.value);
  const epsilons = form.epsilons.value.split(/[\s,]+/).filter(Boolean).map(Number);
  if (attacks.length === 0) throw new Error('Choose at least one attack for the closing audit.');
  if (epsilons.length === 0 || epsilons.some((x) => !(x > 0))) throw new Error('Epsilons must be positive numbers.');
  const audit = { attacks, epsilons, limit: num('limit') };
  if (num('steps') !== undefined) audit.steps = num('steps');
  const settings = {};
  if (num('maxBatches') !== undefined) settings.maxBatches = num('maxBatches');
  if (num('batchSize') !== undefined) settings.batchSize = num('batchSize');
  const body = { method: form.method.value, bits: Number(form.bits.value), epochs: num('epochs'), settings, audit };
  if (num('seed') !== undefined) body.seed = num('seed');
  return body;
}

async function submitRetrain(form) {
  const files = [...form.model.files];
  if (files.length === 0) throw new Error('Choose the model files first.');
  if (form.apiKey.value) sessionStorage.setItem('qaudit.key', form.apiKey.value);
  const body = retrainBody(form);
  $('form-status').textContent = 'Uploading the model…';
  body.model = (await uploadModel(files)).id;
  body.data = await uploadDataChoice(form, 'train', 'training set');
  body.evalData = await uploadDataChoice(form, 'eval', 'evaluation set');
  $('form-status').textContent = 'Starting the retraining job…';
  const job = await call('/v1/retrain-jobs', { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
  const recent = JSON.parse(localStorage.getItem(RECENT_RETRAIN) || '[]').filter((x) => x !== job.id);
  localStorage.setItem(RECENT_RETRAIN, JSON.stringify([job.id].concat(recent).slice(0, 10)));
  location.assign('/retrain-jobs/' + job.id);
}

function initRetrainForm() {
  const form = $('retrain-form');
  for (const b of form.querySelectorAll('[data-preset]')) b.addEventListener('click', () => applyRetrainPreset(form, b.dataset.preset));
  applyRetrainPreset(form, 'quick');
  for (const name of ['train', 'eval']) {
    for (const r of form.querySelectorAll('input[name=' + name + ']')) {
      r.addEventListener('change', () => { form.elements[name + 'File'].disabled = form.elements[name].value !== 'npz'; });
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('submit').disabled = true;
    submitRetrain(form).catch((e) => { $('form-status').textContent = 'Error: ' + e.message; $('submit').disabled = false; });
  });
  listRecent(RECENT_RETRAIN, '/retrain-jobs/');
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const k of Object.keys(attrs)) el.setAttribute(k, String(attrs[k]));
  if (text !== undefined) el.textContent = text;
  return el;
}
const fmt4 = (x) => String(Number(x.toPrecision(4)));
/** As stepTicks in src/report/loss.ts: evenly spaced integer ticks, at most five. */
function stepTicks(xmax) {
  let p = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (xmax / (m * p) <= 4) return Array.from({ length: Math.floor(xmax / (m * p)) + 1 }, (_, i) => i * m * p);
    p *= 10;
  }
}

function niceCeil(x) {
  if (!(x > 0) || !isFinite(x)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Redraws the loss chart from the job's points: the same axes and lines as the report page's chart. */
function drawLoss(points) {
  const svg = $('loss-chart');
  const c = LOSS_CHART;
  const parts = LOSS_PARTS.filter((p) => points.length > 0 && points.every((x) => isFinite(x[p.key])));
  const xmax = Math.max(1, ...points.map((p) => p.step));
  const ymax = niceCeil(Math.max(0, ...points.flatMap((p) => parts.map((s) => p[s.key]))));
  const sx = (s) => c.L + (s / xmax) * (c.W - c.L - c.R);
  const sy = (v) => c.T + (1 - Math.max(0, v) / ymax) * (c.H - c.T - c.B);
  const kids = [];
  for (const q of [0, 0.25, 0.5, 0.75, 1]) {
    kids.push(svgEl('line', { class: 'grid', x1: c.L, x2: c.W - c.R, y1: fmt4(sy(q * ymax)), y2: fmt4(sy(q * ymax)) }));
    kids.push(svgEl('text', { x: c.L - 6, y: fmt4(sy(q * ymax) + 4), 'text-anchor': 'end' }, fmt4(q * ymax)));
  }
  for (const s of stepTicks(xmax)) kids.push(svgEl('text', { x: fmt4(sx(s)), y: c.H - c.B + 18, 'text-anchor': 'middle' }, String(s)));
  kids.push(svgEl('line', { class: 'axis', x1: c.L, x2: c.W - c.R, y1: c.H - c.B, y2: c.H - c.B }));
  kids.push(svgEl('line', { class: 'axis', x1: c.L, x2: c.L, y1: c.T, y2: c.H - c.B }));
  kids.push(svgEl('text', { x: (c.L + c.W - c.R) / 2, y: c.H - 4, 'text-anchor': 'middle' }, 'training step'));
  for (const p of parts) {
    const attrs = { 'data-part': p.key, fill: 'none', stroke: p.color, 'stroke-width': 2, points: points.map((x) => fmt4(sx(x.step)) + ',' + fmt4(sy(x[p.key]))).join(' ') };
    if (p.dash) attrs['stroke-dasharray'] = p.dash;
    kids.push(svgEl('polyline', attrs));
  }
  svg.replaceChildren(...kids);
  const last = points[points.length - 1];
  svg.setAttribute('aria-label', last ? 'Loss curve: ' + points.length + ' steps, last loss ' + last.loss.toFixed(4) : 'Loss curve: no training step finished yet');
  $('loss-legend').replaceChildren(...parts.map((p) => {
    const li = document.createElement('li');
    const sw = svgEl('svg', { width: 36, height: 10, 'aria-hidden': 'true' });
    const line = svgEl('line', { x1: 0, y1: 5, x2: 36, y2: 5, stroke: p.color, 'stroke-width': 2 });
    if (p.dash) line.setAttribute('stroke-dasharray', p.dash);
    sw.append(line);
    li.append(sw, ' ' + p.label);
    return li;
  }));
  $('last-loss').textContent = last ? last.loss.toFixed(4) + ' after ' + points.length + ' step' + (points.length === 1 ? '' : 's') : '–';
}

const PHASE_ORDER = ['queued', 'training', 'auditing', 'reporting', 'done'];
function renderPhases(phase) {
  const at = PHASE_ORDER.indexOf(phase);
  for (const li of document.querySelectorAll('.phases li')) {
    const i = PHASE_ORDER.indexOf(li.dataset.phase);
    li.className = i < at ? 'past' : i === at ? 'now' : '';
    if (i === at) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
  }
}

function renderJob(j) {
  const p = j.progress || { done: 0, total: 0 };
  const done = j.status === 'succeeded';
  const pct = done ? 100 : p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
  // From 'auditing' on, progress counts the closing audits' chunks (the last phase's counts stay at the end).
  const audits = ['auditing', 'reporting', 'done'].includes(j.phase);
  const unit = audits ? 'audit chunks' : 'training steps';
  renderPhases(done ? 'done' : j.phase);
  const bar = $('bar');
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', pct + '% (' + p.done + ' of ' + p.total + ' ' + unit + ')');
  $('bar-fill').style.width = pct + '%';
  $('bar-text').textContent = pct + '%';
  $('bar-what').textContent = 'Progress of ' + (done ? 'the job' : j.phase);
  $('count-label').textContent = audits ? 'Audit chunks' : 'Training steps';
  $('count').textContent = p.done + ' / ' + p.total;
  $('current').textContent = p.current || '–';
  $('eta').textContent = j.status === 'running' ? eta(p.etaSeconds) : '–';
  const r = j.request || {};
  $('method').textContent = (r.method || '–') + ', ' + (r.bits || '?') + '-bit' + (r.epochs ? ', ' + r.epochs + ' epoch(s)' : '');
  $('status-line').textContent = 'Status: ' + j.status + ' · phase: ' + j.phase;
  drawLoss(j.loss || []);
  if (j.error) { $('error').hidden = false; $('error').textContent = 'Failed: ' + j.error.code + ': ' + j.error.message; }
  if (j.audits) {
    $('before-link').href = '/audits/' + j.audits.before; $('after-link').href = '/audits/' + j.audits.after; $('audits').hidden = false;
    $('before-report').href = '/v1/audits/' + j.audits.before + '/report.html'; $('after-report').href = '/v1/audits/' + j.audits.after + '/report.html';
  }
  const l = j.links || {};
  if (j.repairedModel) {
    if (l.model) $('model-zip').href = l.model;
    if (l.modelJson) { $('model-json').href = l.modelJson; $('weights-link').href = l.modelJson.replace(/model\.json$/, 'weights.bin'); }
    $('model').hidden = false;
  }
  if (done) {
    if (l.reportHtml) $('report-link').href = l.reportHtml;
    if (l.report) $('report-json').href = l.report;
    $('done').hidden = false;
  }
  return j.status === 'queued' || j.status === 'running';
}

function initRetrainJob() {
  poll('/v1/retrain-jobs/' + $('job').dataset.job, renderJob, 'retraining job');
}
`;
