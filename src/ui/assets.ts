// The front end's stylesheet and script, served from /ui/ so the pages run under a CSP without 'unsafe-inline'.
// The script is plain ES2020 in a string: no build step, and it must not contain backticks.
import { RETRAIN_JS } from './retrain-script';
import { DEFAULT_ATTACKS, DEFAULT_BITS } from '../engine/audit/settings';
import { SQUARE_DEFAULTS } from '../engine/attacks/square';

export const APP_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
header{background:#14324f;padding:.6rem 1rem}
.brand{color:#fff;font-weight:700;text-decoration:none}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;word-break:break-all}
a{color:#0645ad}
fieldset{border:1px solid #767676;border-radius:6px;margin:0 0 1rem;padding:.75rem}
fieldset.inline{border-style:dashed}
legend{font-weight:600;padding:0 .25rem}
label{display:block;margin:.5rem 0 .2rem}
label.check{display:inline-flex;align-items:center;gap:.35rem;margin:.25rem 1rem .25rem 0;min-height:2.75rem}
input[type=text],input[type=number],input[type=password],select,input[type=file]{width:100%;font:inherit;padding:.5rem;border:1px solid #595959;border-radius:4px;background:#fff;color:#1a1a1a}
input[type=checkbox],input[type=radio]{width:1.25rem;height:1.25rem}
button{font:inherit;min-height:2.75rem;padding:.5rem 1rem;border-radius:4px;border:1px solid #14324f;background:#fff;color:#14324f;cursor:pointer}
button[type=submit]{background:#14324f;color:#fff;width:100%}
button[aria-pressed=true]{background:#dbe7f3}
button:disabled{opacity:.6;cursor:progress}
:focus-visible{outline:3px solid #c25400;outline-offset:2px}
.presets{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.help{color:#4a4a4a;font-size:.9rem;margin:.25rem 0}
.error{color:#a4000f;font-weight:600}
.bar{height:1.5rem;border:1px solid #14324f;border-radius:4px;background:#eef2f6;overflow:hidden}
.fill{height:100%;width:0;background:#1d6b2f;transition:width .4s}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
.facts dt{font-weight:600}.facts dd{margin:0}
#done a{font-weight:600}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;justify-content:space-between}
header nav{display:flex;gap:1rem}header nav a{color:#fff}
.phases{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;margin:.5rem 0;counter-reset:ph}
.phases li{counter-increment:ph;padding:.2rem .6rem;border:1px solid #767676;border-radius:1rem;color:#4a4a4a}
.phases li::before{content:counter(ph) ". "}
.phases li.past{border-color:#1d6b2f;color:#1d6b2f}.phases li.past::after{content:" ✓"}
.phases li.now{background:#14324f;border-color:#14324f;color:#fff;font-weight:600}
.loss-figure{margin:1rem 0}
.chart{width:100%;height:auto;font-size:11px;border:1px solid #d0d0d0;border-radius:4px}
.chart text{fill:#1a1a1a}.chart .axis{stroke:#1a1a1a}.chart .grid{stroke:#c8c8c8;stroke-width:.5}
.legend{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}.legend svg{vertical-align:middle}
@media (prefers-reduced-motion:reduce){.fill{transition:none}}
`;

/** The form presets; budgets left empty take the engine's defaults, "thorough" reads its own from the attacks. */
const PRESETS = {
  quick: { attacks: ['fgsm', 'pgd'], norm: 'linf', epsilons: '0.1, 0.3', bits: ['2'], defense: 'none', steps: '5', queries: '100', limit: '16' },
  standard: { attacks: [...DEFAULT_ATTACKS], norm: 'linf', epsilons: '0.1, 0.3', bits: DEFAULT_BITS.map(String), defense: 'none', steps: '', queries: '', limit: '100' },
  thorough: {
    attacks: [...DEFAULT_ATTACKS, 'apgd-dlr', 'apgd-t', 'diva'], norm: 'linf', epsilons: '0.03, 0.1, 0.2, 0.3', bits: DEFAULT_BITS.map(String),
    defense: 'none', steps: '', queries: String(SQUARE_DEFAULTS.queriesThorough), limit: '1000',
  },
};

export const APP_JS = String.raw`
// qaudit front end: the upload form (presets, uploads, submit) and the audit page (polls progress every second).
const PRESETS = ${JSON.stringify(PRESETS)};
const $ = (id) => document.getElementById(id);
const RECENT = 'qaudit.recent';

function headers(extra) {
  const key = sessionStorage.getItem('qaudit.key');
  return Object.assign({}, extra, key ? { authorization: 'Bearer ' + key } : {});
}

async function call(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((body.title || res.statusText) + ': ' + (body.detail || res.status));
    err.status = res.status;
    throw err;
  }
  return body;
}

function applyPreset(form, name) {
  const p = PRESETS[name];
  for (const box of form.querySelectorAll('input[name=attacks]')) box.checked = p.attacks.includes(box.value);
  for (const box of form.querySelectorAll('input[name=bits]')) box.checked = p.bits.includes(box.value);
  form.norm.value = p.norm; form.epsilons.value = p.epsilons; form.defense.value = p.defense;
  form.steps.value = p.steps; form.queries.value = p.queries; form.limit.value = p.limit;
  for (const b of form.querySelectorAll('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === name));
  $('preset-status').textContent = 'Preset "' + name + '" applied.';
}

async function uploadModel(files) {
  if (files.length === 1 && /\.zip$/i.test(files[0].name)) {
    return call('/v1/models', { method: 'POST', headers: headers({ 'content-type': 'application/zip' }), body: files[0] });
  }
  const fd = new FormData();
  for (const f of files) fd.append(f.name, f, f.name);
  return call('/v1/models', { method: 'POST', headers: headers({}), body: fd });
}

function settings(form) {
  const picked = (name) => [...form.querySelectorAll('input[name=' + name + ']:checked')].map((b) => b.value);
  const s = {
    attacks: picked('attacks'), norm: form.norm.value, bits: picked('bits').map(Number), limit: Number(form.limit.value),
    epsilons: form.epsilons.value.split(/[\s,]+/).filter(Boolean).map(Number),
  };
  if (form.steps.value) s.steps = Number(form.steps.value);
  if (form.queries.value) s.queries = Number(form.queries.value);
  if (form.defense.value !== 'none') s.defense = { mapping: form.defense.value };
  if (s.attacks.length === 0) throw new Error('Choose at least one attack.');
  if (s.epsilons.length === 0 || s.epsilons.some((e) => !(e > 0))) throw new Error('Epsilons must be positive numbers.');
  return s;
}

async function submit(form) {
  const status = $('form-status');
  const files = [...form.model.files];
  if (files.length === 0) throw new Error('Choose the model files first.');
  if (form.apiKey.value) sessionStorage.setItem('qaudit.key', form.apiKey.value);
  const s = settings(form);
  status.textContent = 'Uploading the model…';
  const model = await uploadModel(files);
  let data = 'mnist';
  if (form.data.value === 'npz') {
    const npz = form.npz.files[0];
    if (!npz) throw new Error('Choose the .npz or .zip file, or pick the built-in MNIST set.');
    status.textContent = 'Uploading the evaluation set…';
    data = (await call('/v1/datasets', { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: npz })).id;
  }
  status.textContent = 'Starting the audit…';
  const audit = await call('/v1/audits', {
    method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(Object.assign({ model: model.id, data }, s)),
  });
  const recent = JSON.parse(localStorage.getItem(RECENT) || '[]').filter((x) => x !== audit.id);
  localStorage.setItem(RECENT, JSON.stringify([audit.id].concat(recent).slice(0, 10)));
  location.assign('/audits/' + audit.id);
}

function initUpload() {
  const form = $('audit-form');
  for (const b of form.querySelectorAll('[data-preset]')) b.addEventListener('click', () => applyPreset(form, b.dataset.preset));
  applyPreset(form, 'quick');
  for (const r of form.querySelectorAll('input[name=data]')) r.addEventListener('change', () => { form.npz.disabled = form.data.value !== 'npz'; });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = $('submit');
    button.disabled = true;
    submit(form).catch((e) => { $('form-status').textContent = 'Error: ' + e.message; button.disabled = false; });
  });
  listRecent(RECENT, '/audits/');
}

function listRecent(key, prefix) {
  for (const id of JSON.parse(localStorage.getItem(key) || '[]')) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = prefix + id; a.textContent = id;
    li.append(a); $('recent').append(li);
  }
}

function eta(seconds) {
  if (seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? 'about ' + s + ' s' : 'about ' + Math.round(s / 60) + ' min';
}

function render(a) {
  const p = a.progress;
  const pct = a.status === 'succeeded' ? 100 : p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
  const bar = $('bar');
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', pct + '% (' + p.done + ' of ' + p.total + ' chunks)');
  $('bar-fill').style.width = pct + '%';
  $('bar-text').textContent = pct + '%';
  $('chunks').textContent = p.done + ' / ' + p.total;
  $('current').textContent = p.current || '–';
  $('eta').textContent = a.status === 'running' ? eta(p.etaSeconds) : '–';
  $('status-line').textContent = 'Status: ' + a.status;
  if (a.error) { $('error').hidden = false; $('error').textContent = a.error.code + ': ' + a.error.message; }
  if (a.status === 'succeeded') { $('report-link').href = a.links.reportHtml; $('done').hidden = false; }
  return a.status === 'queued' || a.status === 'running';
}

// Polls a job every second while render says it is unfinished; an unknown job (404) stops the polling.
function poll(path, render, noun) {
  const tick = async () => {
    let again = true;
    try {
      again = render(await call(path, { headers: headers({}), cache: 'no-store' }));
    } catch (e) {
      $('status-line').textContent = 'Could not read the ' + noun + ': ' + e.message;
      if (e.status === 404) again = false;
    }
    if (again) setTimeout(tick, 1000);
  };
  tick();
}

function initProgress() {
  poll('/v1/audits/' + $('audit').dataset.audit, render, 'audit');
}

` + RETRAIN_JS + String.raw`
const INIT = { upload: initUpload, progress: initProgress, 'retrain-form': initRetrainForm, 'retrain-job': initRetrainJob };
INIT[document.body.dataset.page]?.();
`;
