// SARIF 2.1.0 output: valid against the OASIS schema (a validator, not hand checks), one result per missed
// threshold and error flag, and fingerprints that do not move when only the measured numbers do.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseThresholds } from '../../src/engine/audit/junit';
import { ReportSchema, type Report } from '../../src/engine/audit/report';
import { renderSarif } from '../../src/report/sarif';
import { sarifValidator } from './sarif-schema';

const report: Report = ReportSchema.parse(JSON.parse(readFileSync(new URL('./fixtures/report.json', import.meta.url), 'utf8')));

interface Log { runs: { tool: { driver: { rules: { id: string; help: { text: string } }[] } }; results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; partialFingerprints: Record<string, string> }[] }[] }

describe('renderSarif', () => {
  const validate = sarifValidator();
  const thresholds = parseThresholds('pgd@0.3=0.99,clean=0.01,fgsm@0.5=0.1');
  const log = renderSarif(report, thresholds, { artifact: 'model/model.json' }) as Log;

  it('is valid SARIF 2.1.0', () => {
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), 'the validator refuses a driver without name').toBe(false);
  });

  it('has one result per missed threshold and per error-level flag, each pointing at a rule with help text', () => {
    const run = log.runs[0]!;
    const errors = report.flags.filter((f) => f.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    // pgd@0.3 below 0.99 and fgsm@0.5 not evaluated; clean=0.01 is met.
    expect(run.results.filter((r) => r.ruleId === 'qaudit/threshold-missed')).toHaveLength(2);
    expect(run.results.filter((r) => r.ruleId.startsWith('qaudit/sanity/'))).toHaveLength(errors.length);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(run.tool.driver.rules[r.ruleIndex]!.help.text.length).toBeGreaterThan(40);
      expect(r.level).toBe('error');
    }
    expect(new Set(run.results.map((r) => r.partialFingerprints['qauditFinding/v1'])).size).toBe(run.results.length);
  });

  it('keeps fingerprints when a re-run measures other numbers, and has no results when all is well', () => {
    const rerun: Report = structuredClone(report);
    rerun.rows = rerun.rows.map((r) => ({ ...r, accuracy: r.accuracy / 2 }));
    rerun.flags = rerun.flags.map((f) => ({ ...f, message: f.message.replace(/\d+\.\d%/g, '1.0%') }));
    const again = renderSarif(rerun, thresholds, { artifact: 'model/model.json' }) as Log;
    const prints = (l: Log) => l.runs[0]!.results.map((r) => r.partialFingerprints['qauditFinding/v1']).sort();
    expect(prints(again)).toEqual(prints(log));
    const clean = renderSarif({ ...report, flags: [] }, parseThresholds('clean=0.01')) as Log;
    expect(validate(clean)).toBe(true);
    expect(clean.runs[0]!.results).toEqual([]);
  });
});
