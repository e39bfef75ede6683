// What every page script shares: element lookup, API calls with the stored key, model upload, recent jobs, polling.

/** The page's element with this id (a missing one is a bug in the page, not in the user's input). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`expected #${id} on the page, got none`);
  return el as T;
}

/** A control of a form by name (checkboxes and radios of one name come back as a RadioNodeList). */
export const field = <T = HTMLInputElement>(form: HTMLFormElement, name: string): T => form.elements.namedItem(name) as T;

export function headers(extra: Record<string, string>): Record<string, string> {
  const key = sessionStorage.getItem('qaudit.key');
  return Object.assign({}, extra, key ? { authorization: 'Bearer ' + key } : {});
}

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** fetch, answering the parsed JSON body; a problem+json answer becomes an ApiError with its title and detail. */
export async function call<T = Record<string, unknown>>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError((body.title || res.statusText) + ': ' + (body.detail || res.status), res.status);
  return body as T;
}

export async function uploadModel(files: File[]): Promise<{ id: string }> {
  if (files.length === 1 && /\.zip$/i.test(files[0]!.name)) {
    return call('/v1/models', { method: 'POST', headers: headers({ 'content-type': 'application/zip' }), body: files[0] });
  }
  const fd = new FormData();
  for (const f of files) fd.append(f.name, f, f.name);
  return call('/v1/models', { method: 'POST', headers: headers({}), body: fd });
}

/** Remembers a started job in this browser (newest first, ten at most). */
export function remember(key: string, id: string): void {
  const recent = (JSON.parse(localStorage.getItem(key) || '[]') as string[]).filter((x) => x !== id);
  localStorage.setItem(key, JSON.stringify([id].concat(recent).slice(0, 10)));
}

export function listRecent(key: string, prefix: string): void {
  for (const id of JSON.parse(localStorage.getItem(key) || '[]') as string[]) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = prefix + id; a.textContent = id;
    li.append(a); $('recent').append(li);
  }
}

export function eta(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? 'about ' + s + ' s' : 'about ' + Math.round(s / 60) + ' min';
}

/** A job as GET /v1/audits/{id} and /v1/retrain-jobs/{id} answer it (the fields the pages read). */
export interface JobView {
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  progress?: { done: number; total: number; current?: string; etaSeconds?: number };
  error?: { code: string; message: string };
  links?: Record<string, string | undefined>;
}

/** Fills the progress bar: its width, text and accessible value. */
export function showBar(p: { done: number; total: number }, finished: boolean, unit: string): void {
  const pct = finished ? 100 : p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
  const bar = $('bar');
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', pct + '% (' + p.done + ' of ' + p.total + ' ' + unit + ')');
  $('bar-fill').style.width = pct + '%';
  $('bar-text').textContent = pct + '%';
}

/** Polls a job every second while render says it is unfinished; an unknown job (404) stops the polling. */
export function poll<T>(path: string, render: (job: T) => boolean, noun: string): void {
  const tick = async () => {
    let again = true;
    try {
      again = render(await call<T>(path, { headers: headers({}), cache: 'no-store' }));
    } catch (e) {
      $('status-line').textContent = 'Could not read the ' + noun + ': ' + (e as Error).message;
      if (e instanceof ApiError && e.status === 404) again = false;
    }
    if (again) setTimeout(tick, 1000);
  };
  void tick();
}

/** Wires a job form: preset buttons, a data choice that enables its file input, submit with errors shown in the status line. */
export function wireForm(form: HTMLFormElement, o: {
  applyPreset(name: string): void; dataChoices: [radio: string, file: string][]; submit(): Promise<void>; recent: [key: string, prefix: string];
}): void {
  for (const b of form.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.addEventListener('click', () => o.applyPreset(b.dataset.preset!));
  o.applyPreset('quick');
  for (const [radio, file] of o.dataChoices) {
    for (const r of form.querySelectorAll<HTMLInputElement>('input[name=' + radio + ']')) {
      r.addEventListener('change', () => { field(form, file).disabled = field<RadioNodeList>(form, radio).value !== 'npz'; });
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = $<HTMLButtonElement>('submit');
    button.disabled = true;
    o.submit().catch((e: Error) => { $('form-status').textContent = 'Error: ' + e.message; button.disabled = false; });
  });
  listRecent(...o.recent);
}

/** Marks the pressed preset button and says which preset was applied. */
export function pressPreset(form: HTMLFormElement, name: string): void {
  for (const b of form.querySelectorAll<HTMLElement>('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === name));
  $('preset-status').textContent = 'Preset "' + name + '" applied.';
}

/** The engine's defaults that the server rendered into the form's data-defaults (src/ui/form-defaults.ts). */
export function formDefaults<T>(form: HTMLFormElement): T {
  const json = form.dataset.defaults;
  if (!json) throw new Error('expected the engine defaults in #' + form.id + ' data-defaults, got none');
  return JSON.parse(json) as T;
}

/** The values of the checked boxes named `name`. */
export const picked = (form: HTMLFormElement, name: string): string[] =>
  [...form.querySelectorAll<HTMLInputElement>('input[name=' + name + ']:checked')].map((b) => b.value);

/** Comma- or space-separated epsilons, refused unless every one is positive. */
export function epsilons(text: string): number[] {
  const eps = text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (eps.length === 0 || eps.some((e) => !(e > 0))) throw new Error('Epsilons must be positive numbers.');
  return eps;
}
