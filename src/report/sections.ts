// The report page's sections, each a pure function of the report returning escaped HTML.
import { ATTACKS } from '../engine/audit/settings';
import type { Report } from '../engine/audit/report';
import { pct } from '../engine/format';
import { perturbation, pixelSvg } from './images';
import { buildSeries, renderChart, renderLegend } from './svg';
import { html, lines, type Html } from './template';

/** A table in a keyboard-scrollable region; the first column is a row header. Cells are text, shown as String(c). */
export function table(caption: string, head: string[], rows: unknown[][]): Html {
  const th = head.map((h) => html`<th scope="col">${h}</th>`);
  const trs = rows.map((r) => html`<tr>${r.map((c, i) => (i === 0 ? html`<th scope="row">${String(c)}</th>` : html`<td>${String(c)}</td>`))}</tr>`);
  return html`<div class="scroll" role="region" tabindex="0" aria-label="${caption}"><table><caption>${caption}</caption><thead><tr>${th}</tr></thead><tbody>
${lines(trs)}
</tbody></table></div>`;
}

const protocol = (defense: string, adaptive: boolean) => (defense === 'none' ? 'no defense' : `${defense}, ${adaptive ? 'adaptive (BPDA)' : 'plain'}`);
const signed = (x: number) => `${x > 0 ? '+' : ''}${(100 * x).toFixed(1)} pts`;

export function summarySection(r: Report): Html {
  const m = r.model;
  const variants = r.variants.map((v) => `${v.name} (${v.bits === null ? 'float' : `${v.bits}-bit`}, ${v.from === 'upload' ? 'uploaded' : 'quantized twin'})`);
  return html`<dl class="facts">
<dt>Model</dt><dd>${m.layers.length} layers, ${m.parameters} parameters, input ${m.inputShape.join('×')}, ${m.numClasses} classes, weights ${m.bits === null ? 'float' : `${m.bits}-bit`}</dd>
<dt>Data</dt><dd>${r.data.name}: first ${r.data.samples} of ${r.data.total} samples</dd>
<dt>Variants</dt><dd>${variants.join('; ')}</dd>
<dt>Engine</dt><dd>qaudit ${r.qaudit}, report schema ${r.schemaVersion}</dd>
</dl>
${table('Headline: worst-case accuracy per epsilon over the deployed configurations', ['epsilon', 'accuracy', 'variant', 'defense'],
    r.headline.map((h) => [h.epsilon, pct(h.accuracy), h.variant, h.defense]))}
<details><summary>Model layers</summary>${table('Model layers', ['layer', 'class', 'output shape', 'parameters'],
    m.layers.map((l) => [l.name, l.className, l.outputShape.map((d) => d ?? '?').join('×'), l.parameters]))}</details>`;
}

export function curvesSection(r: Report): Html {
  const variants = r.variants.map((v) => v.name);
  const norm = r.rows[0]?.norm ?? String(r.settings.norm ?? '');
  const figs = ATTACKS.filter((a) => r.rows.some((x) => x.attack === a)).map((a) => {
    const series = buildSeries(r.rows, r.clean, a, variants);
    const label = `${a} (${norm}): accuracy against epsilon, ${series.length} series`;
    return html`<figure class="curve" data-attack="${a}">${renderChart(series, variants, label)}<figcaption><b>${a}</b>, ${norm} norm. Epsilon 0 is the clean accuracy. Solid: no defense; dashed: plain attack through the defense; dotted: adaptive attack.${renderLegend(series, variants)}</figcaption></figure>`;
  });
  const extra = (x: Report['rows'][number]) => [
    x.source ? `crafted on ${x.source}` : '',
    x.divergence !== undefined ? `twin wrong, reference right: ${pct(x.divergence)}` : '',
    x.queries ? `queries: mean ${x.queries.mean.toFixed(0)}, median ${x.queries.median}, max ${x.queries.max} of ${x.queries.budget}` : '',
  ].filter(Boolean).join('; ');
  const rows = r.rows.map((x) => [x.attack, x.epsilon, x.variant, protocol(x.defense, x.adaptive), x.loss ?? '', pct(x.accuracy), `${x.correct} / ${x.samples}`, extra(x)]);
  return html`<div class="charts">${lines(figs)}</div>
<details><summary>All attack rows as a table</summary>${table('Attack rows (a sample wrong on the clean input counts as not robust)', ['attack', 'epsilon', 'variant', 'defense', 'loss', 'accuracy', 'correct / samples', 'notes'], rows)}</details>
${table('Clean accuracy', ['variant', 'defense', 'accuracy', 'correct / samples'], r.clean.map((c) => [c.variant, c.defense, pct(c.accuracy), `${c.correct} / ${c.samples}`]))}
${table('Worst case per sample over every attack', ['variant', 'defense', 'epsilon', 'accuracy', 'attacks'], r.worstCase.map((w) => [w.variant, w.defense, w.epsilon, pct(w.accuracy), w.attacks.join(', ')]))}`;
}

export function criteriaSection(r: Report): Html {
  const al = r.criteria.al.map((x) => [x.variant, protocol(x.defense, x.adaptive), x.attack, x.epsilon, signed(x.value)]);
  const ql = r.criteria.ql.map((x) => [x.variant, protocol(x.defense, x.adaptive), x.attack === 'worst' && x.attacks ? `worst of ${x.attacks.join(', ')}` : x.attack, x.epsilon, x.reference, signed(x.value)]);
  const flips = r.companions.flipRate.map((f) => [f.variant, pct(f.clean)]);
  const logit = r.companions.logitError.map((l) => [l.variant, l.mean.toFixed(3), l.p95.toFixed(3)]);
  return html`<p><b>Adversarial loss</b> AL(m, A, ε) = acc(m, clean) − acc(m, A, ε): the accuracy an attack takes away from a variant behind the same defense.
<b>Quantization loss</b> QL(A, ε) = acc(reference, A, ε) − acc(quantized, A, ε): the accuracy lost by quantizing, under the same attack; <i>clean</i> is the plain accuracy drop. Positive values are losses; values are in accuracy points.</p>
${table('Quantization loss (QL)', ['variant', 'defense', 'attack', 'epsilon', 'reference', 'QL'], ql)}
${table('Adversarial loss (AL)', ['variant', 'defense', 'attack', 'epsilon', 'AL'], al)}
${table('Clean prediction flip rate against the reference', ['variant', 'flip rate'], flips)}
${table('Relative logit error on clean inputs', ['variant', 'mean', 'p95'], logit)}`;
}

/** What each sanity check means (docs/report.md, "Sanity flags"), so a reader sees what passed too. */
export const FLAG_DOCS: Record<string, string> = {
  accuracy_rises_with_epsilon: 'A stronger budget should never help the model: rising accuracy means the attack is not converging.',
  pgd_weaker_than_fgsm: 'PGD includes FGSM-like steps; when it does worse, the attack or its step size is broken, or gradients are masked.',
  black_box_stronger: 'Black-box attacks use less information; when they beat white-box ones, gradients are probably unreliable.',
  defense_masks_gradients: 'A plain attack through the mapping is much weaker than the adaptive or black-box one: the defense hides gradients rather than adding robustness.',
  large_epsilon_not_zero: 'At a budget where any image is reachable, accuracy must fall to near zero; otherwise the attack fails.',
  zero_gradients: 'Exactly zero input gradients make gradient attacks blind (saturated outputs or obfuscation).',
  outputs_look_like_probabilities: 'The model seems to end in a softmax; attacks need logits, so results may be weaker than real.',
  twin_gradients_vanish: 'A quantized twin\'s input gradients are orders of magnitude below the float model\'s: gradient attacks on it are blind.',
  margin_beats_cross_entropy: 'A margin-loss attack (CW, APGD-DLR, APGD-T) is far stronger than every cross-entropy attack: the cross-entropy is saturated.',
};

export function flagsSection(r: Report): Html {
  const raised = r.flags.length
    ? html`<ul class="flags">${lines(r.flags.map((f) => html`<li class="${f.severity}"><span class="sev">${f.severity}</span> <code>${f.id}</code>: ${f.message}<br><span class="expl">${f.explanation}</span></li>`))}</ul>`
    : html`<p>No flag was raised.</p>`;
  const ids = new Set(r.flags.map((f) => f.id));
  const docs = Object.entries(FLAG_DOCS).map(([id, d]) => html`<dt><code>${id}</code> ${ids.has(id) ? '(raised)' : '(not raised)'}</dt><dd>${d}</dd>`);
  return html`${raised}<details><summary>What each check means</summary><dl class="checks">${docs}</dl></details>`;
}

export function examplesSection(r: Report): Html {
  const ex = r.examples;
  if (!ex || ex.items.length === 0) return html`<p>No example images were kept.</p>`;
  const cards = ex.items.map((it) => {
    const { pixels, gain } = perturbation(it.original, it.adversarial, ex.shape);
    const cell = (svg: Html, cap: Html) => html`<figure class="ex">${svg}<figcaption>${cap}</figcaption></figure>`;
    const cells = [
      cell(pixelSvg({ shape: ex.shape, data: it.original }, `original, sample ${it.index}`), html`original<br>predicted ${it.cleanPrediction}`),
      cell(pixelSvg(pixels, `perturbation ×${gain.toFixed(1)}, sample ${it.index}`), html`perturbation ×${gain.toFixed(1)}`),
      cell(pixelSvg({ shape: ex.shape, data: it.adversarial }, `adversarial, sample ${it.index}`), html`adversarial<br>predicted ${it.adversarialPrediction}`),
    ];
    return html`<li class="example" data-index="${it.index}"><p>Sample ${it.index}, true label ${it.label}</p><div class="triple">${cells}</div></li>`;
  });
  return html`<p>${ex.attack} on ${ex.variant}, ${ex.norm} ε = ${ex.epsilon}. The perturbation is shown around mid-grey, magnified so its largest change is full contrast.</p>
<ul class="examples">${lines(cards)}</ul>`;
}
