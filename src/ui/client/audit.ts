// The audit pages' scripts: the upload form (presets, uploads, submit) and the audit page (polls progress every second).
import { $, call, epsilons, eta, field, formDefaults, headers, picked, poll, pressPreset, remember, showBar, uploadModel, wireForm } from './common';
import type { JobView } from './common';
import type { AuditFormDefaults } from '../form-defaults';

interface Preset { attacks: string[]; norm: string; epsilons: string; bits: string[]; defense: string; steps: string; queries: string; limit: string }

/**
 * The presets, from the engine's defaults (the form's data-defaults, rendered by src/ui/pages.ts). An empty steps or
 * queries field means each attack's own default; a literal is a deliberate departure from the default, said why.
 */
function presets(d: AuditFormDefaults): Record<string, Preset> {
  const base = { norm: d.norm, epsilons: d.epsilons.join(', '), defense: d.defense, steps: '', queries: '', limit: String(d.limit) };
  return {
    quick: {
      ...base,
      attacks: ['fgsm', 'pgd'], // the two cheapest gradient attacks: a first result in seconds
      bits: ['2'], // one twin only, for speed: the lowest width short of 1-bit
      steps: '5', // a rough PGD, not a converged one: speed over strength
      queries: '100', // a tenth of the default budget, should a black-box attack be added
      limit: '16', // one micro-batch of samples
    },
    standard: {
      ...base,
      attacks: d.attacks.filter((a) => a !== 'transfer'), // the default set but transfer: its extra PGD on the source model is left to thorough
      bits: d.bits.filter((b) => b !== 1).map(String), // the default widths but 1-bit: one twin fewer to attack, a shorter audit
    },
    thorough: {
      ...base,
      attacks: d.attacks,
      epsilons: '0.03, 0.1, 0.2, 0.3', // a finer curve than the default, down to small budgets
      bits: ['8', '4', '3', '2'], // 3-bit added for a finer ladder between 4 and 2 bits; 1-bit left out as in standard
      queries: String(d.thoroughQueries),
      limit: '1000', // ten times the default samples: a standard error of about 1.6 accuracy points instead of 5
    },
  };
}
const RECENT = 'qaudit.recent';

/** The form's text and select controls by name. */
const value = (form: HTMLFormElement, name: string) => field<HTMLInputElement | HTMLSelectElement>(form, name);

function applyPreset(form: HTMLFormElement, name: string): void {
  const p = presets(formDefaults<AuditFormDefaults>(form))[name]!;
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name=attacks]')) box.checked = p.attacks.includes(box.value);
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name=bits]')) box.checked = p.bits.includes(box.value);
  for (const k of ['norm', 'epsilons', 'defense', 'steps', 'queries', 'limit'] as const) value(form, k).value = p[k];
  pressPreset(form, name);
}

function settings(form: HTMLFormElement): Record<string, unknown> {
  const s: Record<string, unknown> = {
    attacks: picked(form, 'attacks'), norm: value(form, 'norm').value, bits: picked(form, 'bits').map(Number), limit: Number(value(form, 'limit').value),
  };
  if (picked(form, 'attacks').length === 0) throw new Error('Choose at least one attack.');
  s.epsilons = epsilons(value(form, 'epsilons').value);
  if (value(form, 'steps').value) s.steps = Number(value(form, 'steps').value);
  if (value(form, 'queries').value) s.queries = Number(value(form, 'queries').value);
  if (value(form, 'defense').value !== 'none') s.defense = { mapping: value(form, 'defense').value };
  return s;
}

async function submit(form: HTMLFormElement): Promise<void> {
  const status = $('form-status');
  const files = [...(field(form, 'model').files ?? [])];
  if (files.length === 0) throw new Error('Choose the model files first.');
  const apiKey = field(form, 'apiKey').value;
  if (apiKey) sessionStorage.setItem('qaudit.key', apiKey);
  const s = settings(form);
  status.textContent = 'Uploading the model…';
  const model = await uploadModel(files);
  let data = 'mnist';
  if (field<RadioNodeList>(form, 'data').value === 'npz') {
    const npz = field(form, 'npz').files?.[0];
    if (!npz) throw new Error('Choose the .npz or .zip file, or pick the built-in MNIST set.');
    status.textContent = 'Uploading the evaluation set…';
    data = (await call<{ id: string }>('/v1/datasets', { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: npz })).id;
  }
  status.textContent = 'Starting the audit…';
  const audit = await call<{ id: string }>('/v1/audits', {
    method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(Object.assign({ model: model.id, data }, s)),
  });
  remember(RECENT, audit.id);
  location.assign('/audits/' + audit.id);
}

export function initUpload(): void {
  const form = $<HTMLFormElement>('audit-form');
  wireForm(form, {
    applyPreset: (name) => applyPreset(form, name), dataChoices: [['data', 'npz']], submit: () => submit(form), recent: [RECENT, '/audits/'],
  });
}

function render(a: JobView): boolean {
  const p = a.progress ?? { done: 0, total: 0 };
  showBar(p, a.status === 'succeeded', 'chunks');
  $('chunks').textContent = p.done + ' / ' + p.total;
  $('current').textContent = p.current || '–';
  $('eta').textContent = a.status === 'running' ? eta(p.etaSeconds) : '–';
  $('status-line').textContent = 'Status: ' + a.status;
  if (a.error) { $('error').hidden = false; $('error').textContent = a.error.code + ': ' + a.error.message; }
  if (a.status === 'succeeded') { $<HTMLAnchorElement>('report-link').href = a.links?.reportHtml ?? ''; $('done').hidden = false; }
  return a.status === 'queued' || a.status === 'running';
}

export function initProgress(): void {
  poll('/v1/audits/' + $('audit').dataset.audit, render, 'audit');
}
