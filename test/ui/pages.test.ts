// The front end's static pages without a browser: well-formed, every control labelled, no inline code, and a script
// that parses (a syntax error would leave every page dead).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { APP_JS } from '../../src/ui/assets';
import { CLIENT_MODULE, buildClient } from '../../scripts/build.mjs';
import { progressPage, uploadPage } from '../../src/ui/pages';
import { retrainFormPage, retrainJobPage } from '../../src/ui/retrain-pages';
import { SQUARE_DEFAULTS } from '../../src/engine/attacks/square';
import { parseSettings } from '../../src/engine/audit/settings';
import { DEFAULT_RETRAIN_AUDIT, resolveRetrainConfig } from '../../src/engine/train/config';
import { checkWellFormed, decode, elements } from '../report/parse';

const PAGES: [string, string][] = [
  ['upload', uploadPage()], ['progress', progressPage('0'.repeat(32))],
  ['retrain form', retrainFormPage()], ['retrain job', retrainJobPage('0'.repeat(32))],
];

describe.each(PAGES)('%s page', (_name, html) => {
  it('is well-formed, with lang, viewport and one h1', () => {
    expect(() => checkWellFormed(html.replace(/<script[^>]*><\/script>/, ''))).not.toThrow();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1);
  });

  it('labels every control: a label for its id, or a label around it', () => {
    const fors = new Set(elements(html, 'label').map((l) => l.attrs.for).filter(Boolean));
    const wrapped = elements(html, 'label').map((l) => l.inner).join('\n');
    const controls = [...html.matchAll(/<(input|select)\s[^>]*>/g)].map((m) => m[0]);
    for (const c of controls) {
      const id = /\sid="([^"]+)"/.exec(c)?.[1];
      expect(id ? fors.has(id) : wrapped.includes(c), c).toBe(true);
    }
  });

  it('carries no inline script, style or event handler, and loads only same-origin files', () => {
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/i);
    expect([...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]).every((u) => u!.startsWith('/') || u!.startsWith('#'))).toBe(true);
  });
});

describe('app.js', () => {
  it('parses as a script, and dispatches every page it has an initialiser for', () => {
    expect(() => new Function(APP_JS)).not.toThrow();
    for (const page of ['upload', 'progress', 'retrain-form', 'retrain-job']) expect(APP_JS).toMatch(new RegExp(`["']?${page}["']?: init`));
  });

  it('is the current bundle of src/ui/client (npm run build regenerates it)', async () => {
    expect(readFileSync(CLIENT_MODULE, 'utf8')).toBe(await buildClient({ write: false }));
  });

  it('renders the engine\'s defaults into each form for the presets to read', () => {
    const attr = (html: string, id: string) => JSON.parse(decode(elements(html, 'form').find((f) => f.attrs.id === id)!.attrs['data-defaults']!));
    const s = parseSettings({});
    expect(attr(uploadPage(), 'audit-form')).toEqual({
      attacks: s.attacks, norm: s.norm, epsilons: s.epsilons, bits: s.bits, defense: 'none', limit: s.limit, thoroughQueries: SQUARE_DEFAULTS.queriesThorough,
    });
    const c = resolveRetrainConfig({ method: 'qat', bits: 2 });
    expect(attr(retrainFormPage(), 'retrain-form')).toEqual({
      epochs: c.epochs, batchSize: c.batchSize, seed: c.seed, attacks: [...DEFAULT_RETRAIN_AUDIT.attacks], epsilons: s.epsilons, limit: DEFAULT_RETRAIN_AUDIT.limit,
    });
  });

  it('escapes the job id of a job page', () => {
    const html = retrainJobPage('"><script>x</script>');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('data-job="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(() => checkWellFormed(html.replace(/<script[^>]*><\/script>/, ''))).not.toThrow();
  });
});
