// Workflows' step.do semantics for Node tests of the Workflow step sequences.
import type { StepConfig, StepDo } from '../../src/jobs/workflow-run';

export class Evicted extends Error {}

/** Workflows' step.do: results logged by name (as JSON), retries on throw, and an optional eviction after n new steps. */
export class FakeStep implements StepDo {
  readonly log = new Map<string, string>();
  readonly calls = new Map<string, number>();
  evictAfter = Infinity;
  /** Runs at each sleep, e.g. other instances' steps meanwhile; sleeps are logged by name like steps. */
  onSleep: () => Promise<void> = async () => undefined;
  readonly sleeps: string[] = [];
  async sleep(name: string): Promise<void> {
    if (this.log.has(name)) return;
    this.sleeps.push(name);
    await this.onSleep();
    this.log.set(name, 'null');
  }
  async do<T>(name: string, config: StepConfig, f: () => Promise<T>): Promise<T> {
    if (this.log.has(name)) return JSON.parse(this.log.get(name)!) as T;
    if (this.evictAfter-- <= 0) throw new Evicted(name);
    for (let attempt = 0; ; attempt++) {
      this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
      try {
        const r = await f();
        this.log.set(name, JSON.stringify(r ?? null));
        return r;
      } catch (e) {
        if (attempt >= (config.retries?.limit ?? 0)) throw e;
      }
    }
  }
}
