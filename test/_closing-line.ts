// Vitest reporter: ends the run with the plain line CI reads: "tests: N passed, N failed, N skipped" followed by the
// failures that are not tests (files that failed to load or run, suites whose hooks failed, unhandled errors).
// Any of those makes the run a failure even when every collected test passed; the line says so.
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

export interface ClosingCounts {
  passed: number;
  failed: number;
  skipped: number;
  failedFiles: number;
  failedSuites: number;
  unhandledErrors: number;
}

export function closingCounts(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<unknown>): ClosingCounts {
  const count: ClosingCounts = { passed: 0, failed: 0, skipped: 0, failedFiles: 0, failedSuites: 0, unhandledErrors: unhandled.length };
  for (const m of modules) {
    // A file whose import throws or whose top-level hooks fail has module errors and may hold no test at all.
    const suites = [...m.children.allSuites()].filter((s) => s.errors().length > 0).length;
    const tests = [...m.children.allTests()].filter((t) => t.result().state === 'failed').length;
    if (m.errors().length > 0 || (m.state() === 'failed' && suites === 0 && tests === 0)) count.failedFiles++;
    count.failedSuites += suites;
    for (const t of m.children.allTests()) {
      const state = t.result().state;
      if (state === 'passed') count.passed++;
      else if (state === 'failed') count.failed++;
      else count.skipped++;
    }
  }
  return count;
}

export function closingLine(c: ClosingCounts): string {
  const extra = [
    c.failedFiles ? `${c.failedFiles} failed file${c.failedFiles === 1 ? '' : 's'}` : '',
    c.failedSuites ? `${c.failedSuites} failed suite${c.failedSuites === 1 ? '' : 's'}` : '',
    c.unhandledErrors ? `${c.unhandledErrors} unhandled error${c.unhandledErrors === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  const failed = c.failed + c.failedFiles + c.failedSuites + c.unhandledErrors;
  return `tests: ${c.passed} passed, ${failed} failed, ${c.skipped} skipped${extra.length ? ` (${c.failed} tests, ${extra.join(', ')})` : ''}`;
}

export default class ClosingLine implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>, _reason: TestRunEndReason): void {
    process.stdout.write(`\n${closingLine(closingCounts(modules, unhandled))}\n`);
  }
}
