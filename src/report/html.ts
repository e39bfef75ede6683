// The self-contained report page: inline CSS and SVG only, no script, no external URL; every value escaped (template.ts).
import type { Report } from '../engine/audit/report';
import { raw } from 'hono/html';
import { criteriaSection, curvesSection, examplesSection, flagsSection, summarySection, table } from './sections';
import { html, lines, type Html } from './template';

export interface SignatureInfo {
  status: 'signed' | 'unsigned';
  keyid?: string;
  /** A shell command that verifies the attestation, shown verbatim. */
  verifyCommand?: string;
}

export interface RenderOptions {
  /** The audit id, shown in the title. */
  id?: string;
  signature?: SignatureInfo;
}

export function signatureSection(sig: SignatureInfo | undefined): Html {
  if (!sig) return html`<p>Signature status unknown: this page was rendered without its attestation.</p>`;
  if (sig.status === 'unsigned') return html`<p class="warning"><b>Unsigned.</b> Nothing vouches that these numbers come from a qaudit run; treat them as a claim.</p>`;
  const key = sig.keyid ? html` with key <code>${sig.keyid}</code>` : '';
  const cmd = sig.verifyCommand ? html`<p>Verify it:</p><pre><code>${sig.verifyCommand}</code></pre>` : '';
  return html`<p><b>Signed</b>${key}: the attestation is a DSSE envelope holding an in-toto Statement whose subject is the model's SHA-256 digest and whose predicate is this report.</p>${cmd}
<p><code>qaudit verify</code> exits 0 when the signature is valid under a trusted key and, with <code>--model</code>, the subject is your model.</p>`;
}

function settingsSection(r: Report): Html {
  const rows = Object.entries(r.settings).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  return html`${table('Resolved audit settings', ['setting', 'value'], rows)}
<p>Rerun with the same model, data set (${r.data.name}), engine version (qaudit ${r.qaudit}) and these settings to get the same report, number for number: every random draw is keyed by the seed and the sample's index.</p>
<details><summary>Settings as JSON</summary><pre><code>${JSON.stringify(r.settings, null, 2)}</code></pre></details>`;
}

/** The report pages' stylesheet (audit and retraining reports), inlined so a page needs nothing else. */
export const REPORT_CSS = `:root{color-scheme:light dark;--fg:#111;--bg:#fff;--mut:#555;--line:#bbb;--th:#eef1f5;--warn:#8a4b00;--err:#a00}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#16181c;--mut:#aaa;--line:#555;--th:#23272e;--warn:#ffb14e;--err:#ff8080}}
*{box-sizing:border-box}body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:1rem;max-width:72rem}
a{color:inherit}a:focus,summary:focus,[tabindex]:focus{outline:3px solid #0072B2;outline-offset:2px}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid var(--line)}nav ul{display:flex;flex-wrap:wrap;gap:.3rem 1rem;padding:0;list-style:none}
.scroll{overflow-x:auto;margin:.5rem 0 1.5rem}table{border-collapse:collapse}caption{text-align:left;font-weight:600;padding:.3rem 0;width:max-content;max-width:calc(100vw - 2rem)}
td,th{border:1px solid var(--line);padding:.2rem .6rem;text-align:left;vertical-align:top}thead th{background:var(--th)}tbody th{font-weight:normal}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,24rem),1fr));gap:1rem}figure{margin:0}
.chart{width:100%;height:auto;font-size:11px}.chart text{fill:var(--fg)}.chart .axis{stroke:var(--fg)}.chart .grid{stroke:var(--line);stroke-width:.5}
.legend{list-style:none;padding:0;margin:.3rem 0}.legend li{white-space:nowrap}.legend svg{vertical-align:middle}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.flags li{margin:.4rem 0}.sev{font-weight:700;text-transform:uppercase}.warning .sev,.warning>b{color:var(--warn)}.error .sev{color:var(--err)}.expl{color:var(--mut)}
.examples{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:1rem}
.triple{display:flex;gap:.5rem;flex-wrap:wrap}.ex{text-align:center;font-size:.85rem}.px{display:block;border:1px solid var(--line)}
pre{overflow-x:auto;background:var(--th);padding:.5rem}`;

const SECTIONS: [string, string, (r: Report, o: RenderOptions) => Html][] = [
  ['summary', 'Summary', (r) => summarySection(r)],
  ['curves', 'Robustness curves', (r) => curvesSection(r)],
  ['criteria', 'Quantization and adversarial loss', (r) => criteriaSection(r)],
  ['flags', 'Sanity flags', (r) => flagsSection(r)],
  ['examples', 'Example images', (r) => examplesSection(r)],
  ['signature', 'Signature', (_r, o) => signatureSection(o.signature)],
  ['settings', 'Settings to reproduce', (r) => settingsSection(r)],
  ['notes', 'Notes', (r) => (r.notes.length ? html`<ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : html`<p>None.</p>`)],
];

/** The full report page as one HTML string. */
export function renderReportHtml(report: Report, opts: RenderOptions = {}): string {
  return renderPage(`qaudit report${opts.id ? ` ${opts.id}` : ''}`, SECTIONS.map(([id, h, f]) => [id, h, () => f(report, opts)]));
}

/** A report page: title, a table of contents, then one section per [id, heading, body]; inline CSS only. */
export function renderPage(title: string, sections: [string, string, () => Html][]): string {
  const nav = sections.map(([id, h]) => html`<li><a href="#${id}">${h}</a></li>`);
  const body = sections.map(([id, h, f]) => html`<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${h}</h2>
${f()}
</section>`);
  // raw: the stylesheet is this module's constant, and CSS must not be entity-escaped (its quotes and `>`).
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${raw(REPORT_CSS)}</style>
</head><body>
<header><h1>${title}</h1><nav aria-label="Sections"><ul>${nav}</ul></nav></header>
<main>
${lines(body)}
</main>
</body></html>
`.toString();
}
