// A retraining job's closing step: the report that links the before and after audits, signed with both models
// as subjects, written under the job's id.
import type { Report } from '../engine/audit';
import { createStatement, signStatement } from '../attest';
import { keys } from '../storage/keys';
import { StorageError, listAll } from '../storage/store';
import type { JobDeps } from './lifecycle';
import { fromJsonBytes, readRecord, toJsonBytes, updateRecord } from './record';
import type { RetrainReport, RetrainRequest } from './types';
import type { DefenseMapping } from '../engine/defense/settings';

const isDefended = (d: unknown): d is DefenseMapping => typeof d === 'object' && d !== null && 'mapping' in d;

/** in-toto predicate type of retraining reports (docs/storage.md). */
export const RETRAIN_PREDICATE_TYPE = 'https://qaudit.dev/retrain-report/v1';

export const auditLinksOf = (id: string) => ({
  self: `/v1/audits/${id}`,
  report: `/v1/audits/${id}/report`,
  reportHtml: `/v1/audits/${id}/report.html`,
});

async function auditReport(deps: JobDeps, id: string, which: string): Promise<Report> {
  const rec = await readRecord(deps.store, id);
  if (rec?.status !== 'succeeded') {
    throw new StorageError('not_found', `expected the ${which} audit ${id} to have succeeded, got ${rec ? rec.status : 'no record'}`);
  }
  const bytes = await deps.store.get(keys.report(rec.reportId ?? id));
  if (!bytes) throw new StorageError('not_found', `expected the report of the ${which} audit ${id}, got none`, keys.report(id));
  return fromJsonBytes<Report>(bytes);
}

type Models = { float: number; quantized: number; repaired: number };

/** Per (attack, epsilon[, adaptive]) row of the float model, the same row of the plain k-bit twin and of the repaired model. */
function compareRows(before: Report, after: Report, bits: number, defense: string) {
  const floatName = before.variants[0]!.name;
  const quantName = before.variants.some((v) => v.name === `w${bits}`) ? `w${bits}` : floatName;
  const repairedName = after.variants[0]!.name;
  const clean = (r: Report, v: string) => r.clean.find((c) => c.variant === v && c.defense === defense)?.accuracy ?? NaN;
  const rows = (r: Report, v: string) => r.rows.filter((x) => x.variant === v && x.defense === defense);
  const robust = rows(before, floatName).map((row) => {
    const same = (x: { attack: string; epsilon: number; adaptive: boolean }) => x.attack === row.attack && x.epsilon === row.epsilon && x.adaptive === row.adaptive;
    return {
      attack: row.attack, epsilon: row.epsilon, adaptive: row.adaptive, float: row.accuracy,
      quantized: rows(before, quantName).find(same)?.accuracy ?? NaN,
      repaired: rows(after, repairedName).find(same)?.accuracy ?? NaN,
    };
  });
  const worst = (r: Report, v: string, e: number) => r.worstCase.find((w) => w.variant === v && w.defense === defense && w.epsilon === e)?.accuracy ?? NaN;
  const epsilons = [...new Set(robust.map((x) => x.epsilon))];
  return {
    clean: { float: clean(before, floatName), quantized: clean(before, quantName), repaired: clean(after, repairedName) } as Models,
    robust,
    worstCase: epsilons.map((epsilon) => ({ epsilon, float: worst(before, floatName, epsilon), quantized: worst(before, quantName, epsilon), repaired: worst(after, repairedName, epsilon) })),
  };
}

/** Clean and white-box (no defense) accuracies of float, plain k-bit and repaired from the two audit reports. */
export function compareAudits(before: Report, after: Report, bits: number): Pick<RetrainReport, 'clean' | 'robust'> {
  const { clean, robust } = compareRows(before, after, bits, 'none');
  return { clean, robust: robust.filter((x) => !x.adaptive).map(({ adaptive: _, ...x }) => x) };
}

/**
 * The same three models behind the mapping trained in (both audits ran with it): clean accuracy, every row (plain and
 * adaptive, white and black box), the worst case per epsilon, and the audits' gradient-masking flags.
 */
export function compareDefended(before: Report, after: Report, bits: number, setting: DefenseMapping): NonNullable<RetrainReport['defense']> {
  const { clean, robust, worstCase } = compareRows(before, after, bits, setting.mapping);
  const masking = [...before.flags.map((f) => ({ ...f, audit: 'before' as const })), ...after.flags.map((f) => ({ ...f, audit: 'after' as const }))]
    .filter((f) => f.id === 'defense_masks_gradients')
    .map((f) => ({ audit: f.audit, variant: f.variant ?? '', attack: f.attack ?? '', epsilon: f.epsilon ?? NaN, message: f.message }));
  return { setting, clean, robust, worstCase, masking };
}

/** Step `report`: builds, signs and stores the retraining report, then marks the job succeeded. */
export async function retrainReportStep(jobId: string, deps: JobDeps, now = () => new Date()): Promise<RetrainReport> {
  const rec = (await readRecord(deps.store, jobId))!;
  const request = rec.request as unknown as RetrainRequest;
  const detail = rec.retrain!;
  const ids = detail.audits!;
  const [before, after] = [await auditReport(deps, ids.before, 'before'), await auditReport(deps, ids.after, 'after')];
  const settings = request.settings;
  const dataName = (d: RetrainRequest['dataset'], builtin: string) => (d === 'mnist' ? builtin : d.sha256);
  const report: RetrainReport = {
    schema: 'qaudit.retrain-report/v1',
    job: jobId,
    createdAt: rec.createdAt,
    settings,
    data: { train: dataName(request.dataset, 'mnist-train'), eval: dataName(request.evalDataset, 'mnist-test') },
    models: { original: request.model, repaired: detail.repairedModel! },
    loss: detail.loss,
    audits: { before: { id: ids.before, links: auditLinksOf(ids.before) }, after: { id: ids.after, links: auditLinksOf(ids.after) } },
    ...compareAudits(before, after, Number(settings.bits)),
    ...(isDefended(settings.defense) ? { defense: compareDefended(before, after, Number(settings.bits), settings.defense) } : {}),
  };
  const bytes = toJsonBytes(report);
  const statement = createStatement(
    [{ name: 'original-model', digest: { sha256: report.models.original } }, { name: 'repaired-model', digest: { sha256: report.models.repaired } }],
    fromJsonBytes<RetrainReport>(bytes), RETRAIN_PREDICATE_TYPE,
  );
  const envelope = await signStatement(statement, deps.signingKey);
  await deps.store.putIfAbsent(keys.report(jobId), bytes, { contentType: 'application/json' });
  if (!(await deps.store.head(keys.attestation(jobId)))) await deps.store.putIfAbsent(keys.attestation(jobId), toJsonBytes(envelope), { contentType: 'application/json' });
  // The repaired model is stored: the checkpoints (shadow weights and optimizer state) are no longer needed.
  for (const key of await listAll(deps.store, keys.jobCheckpointsPrefix(jobId))) await deps.store.delete(key);
  await updateRecord(deps.store, jobId, (r) => ({
    ...r, status: 'succeeded', finishedAt: now().toISOString(), reportId: jobId, error: undefined,
    progress: { done: r.progress.total, total: r.progress.total }, retrain: { ...r.retrain!, phase: 'done' },
  }));
  return report;
}
