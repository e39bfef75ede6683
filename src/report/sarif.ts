// The report as SARIF 2.1.0 for code-scanning tabs: one result per missed threshold and per error-level sanity flag.
import { checkThresholds, describeThreshold } from '../engine/audit/junit';
import type { Threshold } from '../engine/audit/junit';
import type { Flag, Report } from '../engine/audit/report';
import { QAUDIT_REPOSITORY } from './links';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  /** The audited model file as the repository names it (the results' location), e.g. model/model.json. */
  artifact?: string;
}

interface Rule { id: string; name: string; shortDescription: { text: string }; fullDescription: { text: string }; help: { text: string; markdown: string }; defaultConfiguration: { level: 'error' | 'warning' | 'note' }; properties: { tags: string[] } }

const THRESHOLD_HELP = 'A --fail-under threshold names an attack (or clean, or worst) and an epsilon, and the lowest accuracy ' +
  'any deployed configuration (the quantized variants, behind the defense when one is set) may keep. This result means ' +
  'one configuration fell below it, or that nothing in the audit matched the threshold. Retrain the quantized model ' +
  '(qaudit retrain), keep more bits, or lower the threshold deliberately.';

function thresholdRule(): Rule {
  return {
    id: 'qaudit/threshold-missed', name: 'ThresholdMissed',
    shortDescription: { text: 'Robustness below a --fail-under threshold' },
    fullDescription: { text: THRESHOLD_HELP },
    help: { text: THRESHOLD_HELP, markdown: `${THRESHOLD_HELP}\n\nSee [thresholds](${QAUDIT_REPOSITORY}/blob/main/docs/report.md#thresholds-and-junit).` },
    defaultConfiguration: { level: 'error' }, properties: { tags: ['robustness', 'adversarial'] },
  };
}

function flagRule(f: Flag): Rule {
  return {
    id: `qaudit/sanity/${f.id}`, name: f.id.replace(/(^|_)(\w)/g, (_, _u, c: string) => c.toUpperCase()),
    shortDescription: { text: `Sanity check ${f.id.replace(/_/g, ' ')}` },
    fullDescription: { text: f.explanation },
    help: { text: f.explanation, markdown: `${f.explanation}\n\nSee [sanity flags](${QAUDIT_REPOSITORY}/blob/main/docs/report.md).` },
    defaultConfiguration: { level: 'error' }, properties: { tags: ['robustness', 'evaluation-sanity'] },
  };
}

/** FNV-1a, 64 bits as hex: stable across runs and runtimes (a fingerprint, not a security property). */
export function fingerprint(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * Fingerprints name what was checked (rule, threshold, configuration), never the measured accuracy, so a re-run
 * with other numbers updates the same alert instead of opening a new one.
 */
export function renderSarif(report: Report, thresholds: Threshold[] = [], o: SarifOptions = {}): object {
  const artifact = o.artifact ?? 'model.json';
  const location = [{ physicalLocation: { artifactLocation: { uri: artifact }, region: { startLine: 1 } } }];
  const rules: Rule[] = [thresholdRule()];
  const results: object[] = [];
  for (const f of checkThresholds(report, thresholds).failures) {
    const key = describeThreshold({ ...f.threshold, min: 0 }).replace(/=0$/, '');
    results.push({
      ruleId: rules[0]!.id, ruleIndex: 0, level: 'error', message: { text: `qaudit: ${f.message}` }, locations: location,
      partialFingerprints: { 'qauditFinding/v1': fingerprint(`${artifact}|threshold|${key}`) },
      properties: { threshold: describeThreshold(f.threshold), actual: f.actual },
    });
  }
  for (const f of report.flags.filter((x) => x.severity === 'error')) {
    let index = rules.findIndex((r) => r.id === `qaudit/sanity/${f.id}`);
    if (index < 0) index = rules.push(flagRule(f)) - 1;
    const where = [f.variant, f.defense, f.adaptive ? 'adaptive' : '', f.attack, f.epsilon].map((x) => x ?? '').join('|');
    results.push({
      ruleId: rules[index]!.id, ruleIndex: index, level: 'error', message: { text: `qaudit: ${f.message}` }, locations: location,
      partialFingerprints: { 'qauditFinding/v1': fingerprint(`${artifact}|${f.id}|${where}`) },
    });
  }
  return {
    $schema: SARIF_SCHEMA, version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'qaudit', semanticVersion: report.qaudit, version: report.qaudit, informationUri: QAUDIT_REPOSITORY, rules } },
      automationDetails: { id: `qaudit/${artifact}/` },
      results,
      properties: { headline: report.headline },
    }],
  };
}
