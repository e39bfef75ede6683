// The retraining pages' scripts: the form (presets, uploads, submit) and the live job page (polls the job every
// second, redraws its progress, phases and loss curve).
import { LOSS_CHART, lossScales } from '../../report/loss-scales';
import type { LossPoint } from '../../jobs/types';
import { $, call, epsilons, eta, field, formDefaults, headers, picked, poll, pressPreset, remember, showBar, uploadModel, wireForm } from './common';
import type { JobView } from './common';
import type { RetrainFormDefaults } from '../form-defaults';

interface RetrainPreset { epochs: string; maxBatches: string; batchSize: string; seed: string; attacks: string[]; epsilons: string; steps: string; limit: string }

/**
 * The presets, from the defaults of a retraining request (the form's data-defaults, rendered by
 * src/ui/retrain-pages.ts). Empty means the engine's default; a literal is a deliberate departure, said why.
 */
function retrainPresets(d: RetrainFormDefaults): Record<string, RetrainPreset> {
  const base = { epochs: String(d.epochs), maxBatches: '', batchSize: String(d.batchSize), seed: String(d.seed), attacks: d.attacks, epsilons: d.epsilons.join(', '), steps: '', limit: String(d.limit) };
  return {
    quick: {
      ...base,
      maxBatches: '16', // 16 mini-batches, not a full epoch: a first loss curve, quickly
      batchSize: '16', // half the default mini-batch: each of those 16 takes half the time
      steps: '5', // a rough closing PGD: speed over strength
      limit: '16', // one micro-batch of samples per closing audit
    },
    standard: {
      ...base,
      attacks: [...d.attacks, 'apgd'], // APGD added: step-size free and stronger than PGD, so a repair that only beats PGD shows
      epsilons: '0.1, 0.2, 0.3', // a point between the default budgets for a before/after curve
    },
  };
}
const RECENT_RETRAIN = 'qaudit.recent-retrain';

function applyRetrainPreset(form: HTMLFormElement, name: string): void {
  const p = retrainPresets(formDefaults<RetrainFormDefaults>(form))[name]!;
  for (const k of ['epochs', 'maxBatches', 'batchSize', 'seed', 'epsilons', 'steps', 'limit'] as const) field(form, k).value = p[k];
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name=attacks]')) box.checked = p.attacks.includes(box.value);
  pressPreset(form, name);
}

async function uploadDataChoice(form: HTMLFormElement, name: string, label: string): Promise<string> {
  if (field<RadioNodeList>(form, name).value !== 'npz') return 'mnist';
  const file = field(form, name + 'File').files?.[0];
  if (!file) throw new Error('Choose the ' + label + ' .npz or .zip file, or pick the built-in MNIST set.');
  $('form-status').textContent = 'Uploading the ' + label + '…';
  return (await call<{ id: string }>('/v1/datasets', { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: file })).id;
}

function retrainBody(form: HTMLFormElement): Record<string, unknown> {
  const num = (k: string) => (field(form, k).value === '' ? undefined : Number(field(form, k).value));
  const attacks = picked(form, 'attacks');
  if (attacks.length === 0) throw new Error('Choose at least one attack for the closing audit.');
  const audit: Record<string, unknown> = { attacks, epsilons: epsilons(field(form, 'epsilons').value), limit: num('limit') };
  if (num('steps') !== undefined) audit.steps = num('steps');
  const settings: Record<string, unknown> = {};
  if (num('maxBatches') !== undefined) settings.maxBatches = num('maxBatches');
  if (num('batchSize') !== undefined) settings.batchSize = num('batchSize');
  const body: Record<string, unknown> = {
    method: field<HTMLSelectElement>(form, 'method').value, bits: Number(field<HTMLSelectElement>(form, 'bits').value), epochs: num('epochs'), settings, audit,
  };
  if (num('seed') !== undefined) body.seed = num('seed');
  const defense = field<HTMLSelectElement>(form, 'defense').value;
  if (defense !== 'none') body.defense = defense;
  return body;
}

async function submitRetrain(form: HTMLFormElement): Promise<void> {
  const files = [...(field(form, 'model').files ?? [])];
  if (files.length === 0) throw new Error('Choose the model files first.');
  const apiKey = field(form, 'apiKey').value;
  if (apiKey) sessionStorage.setItem('qaudit.key', apiKey);
  const body = retrainBody(form);
  $('form-status').textContent = 'Uploading the model…';
  body.model = (await uploadModel(files)).id;
  body.data = await uploadDataChoice(form, 'train', 'training set');
  body.evalData = await uploadDataChoice(form, 'eval', 'evaluation set');
  $('form-status').textContent = 'Starting the retraining job…';
  const job = await call<{ id: string }>('/v1/retrain-jobs', { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
  remember(RECENT_RETRAIN, job.id);
  location.assign('/retrain-jobs/' + job.id);
}

export function initRetrainForm(): void {
  const form = $<HTMLFormElement>('retrain-form');
  wireForm(form, {
    applyPreset: (name) => applyRetrainPreset(form, name), dataChoices: [['train', 'trainFile'], ['eval', 'evalFile']],
    submit: () => submitRetrain(form), recent: [RECENT_RETRAIN, '/retrain-jobs/'],
  });
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const k of Object.keys(attrs)) el.setAttribute(k, String(attrs[k]));
  if (text !== undefined) el.textContent = text;
  return el;
}
const fmt4 = (x: number) => String(Number(x.toPrecision(4)));

/** Redraws the loss chart from the job's points: the scales and parts of the report page's chart (report/loss-scales.ts). */
function drawLoss(points: LossPoint[]): void {
  const svg = $('loss-chart');
  const c = LOSS_CHART;
  const { parts, xmax, ymax, sx, sy } = lossScales(points);
  const kids: SVGElement[] = [];
  for (const q of [0, 0.25, 0.5, 0.75, 1]) {
    kids.push(svgEl('line', { class: 'grid', x1: c.L, x2: c.W - c.R, y1: fmt4(sy(q * ymax)), y2: fmt4(sy(q * ymax)) }));
    kids.push(svgEl('text', { x: c.L - 6, y: fmt4(sy(q * ymax) + 4), 'text-anchor': 'end' }, fmt4(q * ymax)));
    const s = Math.round(q * xmax);
    kids.push(svgEl('text', { x: fmt4(sx(s)), y: c.H - c.B + 18, 'text-anchor': 'middle' }, String(s)));
  }
  kids.push(svgEl('line', { class: 'axis', x1: c.L, x2: c.W - c.R, y1: c.H - c.B, y2: c.H - c.B }));
  kids.push(svgEl('line', { class: 'axis', x1: c.L, x2: c.L, y1: c.T, y2: c.H - c.B }));
  kids.push(svgEl('text', { x: (c.L + c.W - c.R) / 2, y: c.H - 4, 'text-anchor': 'middle' }, 'training step'));
  for (const p of parts) {
    const attrs: Record<string, string | number> = {
      'data-part': p.key, fill: 'none', stroke: p.color, 'stroke-width': 2,
      points: points.map((x) => fmt4(sx(x.step)) + ',' + fmt4(sy(x[p.key] as number))).join(' '),
    };
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
function renderPhases(phase: string): void {
  const at = PHASE_ORDER.indexOf(phase);
  for (const li of document.querySelectorAll<HTMLElement>('.phases li')) {
    const i = PHASE_ORDER.indexOf(li.dataset.phase ?? '');
    li.className = i < at ? 'past' : i === at ? 'now' : '';
    if (i === at) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
  }
}

/** A retraining job as GET /v1/retrain-jobs/{id} answers it. */
interface RetrainJobView extends JobView {
  phase: string;
  request?: { method?: string; bits?: number; epochs?: number };
  loss?: LossPoint[];
  audits?: { before: string; after: string };
  repairedModel?: string;
}

const link = (id: string, href: string) => { $<HTMLAnchorElement>(id).href = href; };

function renderJob(j: RetrainJobView): boolean {
  const p = j.progress ?? { done: 0, total: 0 };
  const done = j.status === 'succeeded';
  // From 'auditing' on, progress counts the closing audits' chunks (the last phase's counts stay at the end).
  const audits = ['auditing', 'reporting', 'done'].includes(j.phase);
  renderPhases(done ? 'done' : j.phase);
  showBar(p, done, audits ? 'audit chunks' : 'training steps');
  $('bar-what').textContent = 'Progress of ' + (done ? 'the job' : j.phase);
  $('count-label').textContent = audits ? 'Audit chunks' : 'Training steps';
  $('count').textContent = p.done + ' / ' + p.total;
  $('current').textContent = p.current || '–';
  $('eta').textContent = j.status === 'running' ? eta(p.etaSeconds) : '–';
  const r = j.request ?? {};
  $('method').textContent = (r.method || '–') + ', ' + (r.bits || '?') + '-bit' + (r.epochs ? ', ' + r.epochs + ' epoch(s)' : '');
  $('status-line').textContent = 'Status: ' + j.status + ' · phase: ' + j.phase;
  drawLoss(j.loss ?? []);
  if (j.error) { $('error').hidden = false; $('error').textContent = 'Failed: ' + j.error.code + ': ' + j.error.message; }
  if (j.audits) {
    link('before-link', '/audits/' + j.audits.before); link('after-link', '/audits/' + j.audits.after); $('audits').hidden = false;
    link('before-report', '/v1/audits/' + j.audits.before + '/report.html'); link('after-report', '/v1/audits/' + j.audits.after + '/report.html');
  }
  const l = j.links ?? {};
  if (j.repairedModel) {
    if (l.model) link('model-zip', l.model);
    if (l.modelJson) { link('model-json', l.modelJson); link('weights-link', l.modelJson.replace(/model\.json$/, 'weights.bin')); }
    $('model').hidden = false;
  }
  if (done) {
    if (l.reportHtml) link('report-link', l.reportHtml);
    if (l.report) link('report-json', l.report);
    $('done').hidden = false;
  }
  return j.status === 'queued' || j.status === 'running';
}

export function initRetrainJob(): void {
  poll('/v1/retrain-jobs/' + $('job').dataset.job, renderJob, 'retraining job');
}
