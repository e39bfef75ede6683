// The in-toto test-result predicate (in-toto/attestation spec/predicates/test-result.md, v0.1) over an audit, so
// that supply-chain tools read pass/fail without knowing qaudit's report; subjects are the model's files, each
// with its own sha256, named by their paths in the model folder as an OpenSSF model-signing manifest lists them.
import { createStatement, type Statement, type Subject } from './statement';

export const TEST_RESULT_PREDICATE_TYPE = 'https://in-toto.io/attestation/test-result/v0.1';

export interface ResourceDescriptor { name?: string; uri?: string; digest?: Record<string, string>; mediaType?: string; annotations?: Record<string, unknown> }
export interface TestResult {
  result: 'PASSED' | 'WARNED' | 'FAILED';
  configuration: ResourceDescriptor[];
  url?: string;
  passedTests: string[];
  warnedTests: string[];
  failedTests: string[];
}

/** What an audit's tests are: its thresholds (met or missed) and its sanity flags (warning or error). */
export interface AuditOutcome {
  thresholds: { name: string; passed: boolean }[];
  flags: { name: string; severity: 'info' | 'warning' | 'error' }[];
}

export function testResult(o: AuditOutcome, configuration: ResourceDescriptor[], url?: string): TestResult {
  // An audit with no gate still ran: one test says so, so that PASSED is never a claim about zero tests.
  const passedTests = ['qaudit audit completed', ...o.thresholds.filter((t) => t.passed).map((t) => t.name)];
  const warnedTests = o.flags.filter((f) => f.severity === 'warning').map((f) => f.name);
  const failedTests = [...o.thresholds.filter((t) => !t.passed).map((t) => t.name), ...o.flags.filter((f) => f.severity === 'error').map((f) => f.name)];
  const result = failedTests.length ? 'FAILED' : warnedTests.length ? 'WARNED' : 'PASSED';
  return { result, configuration, ...(url ? { url } : {}), passedTests, warnedTests, failedTests };
}

/** Subjects: model.json and each shard by file name, as a model-signing manifest of the model folder names them. */
export function testResultStatement(files: Subject[], predicate: TestResult): Statement<TestResult> {
  return createStatement(files, predicate, TEST_RESULT_PREDICATE_TYPE);
}
