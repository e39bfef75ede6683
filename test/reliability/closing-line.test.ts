// The closing line CI reads counts every kind of failure: failed tests, files that failed to load or run, suites
// whose hooks failed, and unhandled errors; a run with only those (and every test passed) still reads as failed.
import { describe, expect, it } from 'vitest';
import type { TestModule } from 'vitest/node';
import { closingCounts, closingLine } from '../_closing-line';

type State = 'passed' | 'failed' | 'skipped';
/** The parts of vitest's TestModule the reporter reads. */
function fakeModule(o: { state: State; errors?: number; suites?: number[]; tests: State[] }): TestModule {
  const errs = (n: number) => Array.from({ length: n }, () => ({ message: 'x' }));
  return {
    state: () => o.state,
    errors: () => errs(o.errors ?? 0),
    children: {
      *allSuites() { for (const n of o.suites ?? []) yield { errors: () => errs(n) }; },
      *allTests() { for (const s of o.tests) yield { result: () => ({ state: s }) }; },
    },
  } as unknown as TestModule;
}

describe('closing line', () => {
  it('counts a file that failed to import, a suite whose beforeAll threw and an unhandled error as failures', () => {
    const modules = [
      fakeModule({ state: 'failed', errors: 1, tests: [] }), // import threw
      fakeModule({ state: 'failed', suites: [1], tests: ['skipped', 'passed'] }), // beforeAll threw
      fakeModule({ state: 'passed', suites: [0], tests: ['passed', 'passed'] }),
    ];
    const c = closingCounts(modules, [{ message: 'late' }]);
    expect(c).toEqual({ passed: 3, failed: 0, skipped: 1, failedFiles: 1, failedSuites: 1, unhandledErrors: 1 });
    expect(closingLine(c)).toBe('tests: 3 passed, 3 failed, 1 skipped (0 tests, 1 failed file, 1 failed suite, 1 unhandled error)');
  });

  it('does not count a file twice when its failure is a failed test', () => {
    const c = closingCounts([fakeModule({ state: 'failed', tests: ['failed', 'passed'] })], []);
    expect(closingLine(c)).toBe('tests: 1 passed, 1 failed, 0 skipped');
  });

  it('counts a file that failed with neither a failed test nor a failed suite (a crashed worker)', () => {
    const c = closingCounts([fakeModule({ state: 'failed', tests: ['skipped'] })], []);
    expect(closingLine(c)).toBe('tests: 0 passed, 1 failed, 1 skipped (0 tests, 1 failed file)');
  });
});
