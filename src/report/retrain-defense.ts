// The defense section of a retraining report page: the mapping trained in, and the three models behind it.
import { pct } from '../engine/format';
import type { RetrainReport } from '../jobs/types';
import { table } from './sections';
import { html, lines, type Html } from './template';

type Defense = NonNullable<RetrainReport['defense']>;

/** `staircase(levels 4, sharpness 200)`. */
export function mappingLabel(d: Defense['setting']): string {
  const { mapping, ...params } = d;
  return `${mapping}(${Object.entries(params).map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

export function defenseSection(d: Defense, n: { float: string; quantized: string; repaired: string }): Html {
  const models = [n.float, n.quantized, n.repaired];
  const rows = d.robust.map((r) => [r.attack, String(r.epsilon), r.adaptive ? 'adaptive (BPDA/EOT)' : 'plain', pct(r.float), pct(r.quantized), pct(r.repaired)]);
  const masking = d.masking.length === 0
    ? html`<p>No <code>defense_masks_gradients</code> flag: the plain attacks through g were not much weaker than the adaptive or black-box ones.</p>`
    : html`<p>Gradient masking (<code>defense_masks_gradients</code>): trust the adaptive and black-box rows, not the plain ones.</p>
<ul>${lines(d.masking.map((f) => html`<li>${f.audit} audit: ${f.message}</li>`))}</ul>`;
  return html`<p>The network was fine-tuned behind <code>${mappingLabel(d.setting)}</code> (g in front of the network, METHOD.md); both audits put the same g in front of every model. The saved model does not contain g: deploy and audit it behind the same mapping.</p>
${table('Clean accuracy behind g', ['model', 'accuracy'], models.map((m, i) => [m, pct([d.clean.float, d.clean.quantized, d.clean.repaired][i]!)]))}
${table('Robust accuracy behind g', ['attack', 'epsilon', 'gradient', ...models], rows)}
${table('Worst case behind g (every row, plain and adaptive)', ['epsilon', ...models], d.worstCase.map((w) => [String(w.epsilon), pct(w.float), pct(w.quantized), pct(w.repaired)]))}
${masking}`;
}
