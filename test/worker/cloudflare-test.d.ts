// The parts of @cloudflare/vitest-pool-workers' `cloudflare:test` module these tests use (its full types need workers-types).
declare module 'cloudflare:test' {
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
  export const env: Record<string, unknown>;

  type StepRef = { name: string; index?: number };
  interface WorkflowInstanceModifier {
    disableRetryDelays(steps?: StepRef[]): Promise<void>;
    mockStepError(step: StepRef, error: Error, times?: number): Promise<void>;
    /** A falsy result is ignored by the engine (it checks the stored mock for truthiness): the real step runs. */
    mockStepResult(step: StepRef, result: unknown): Promise<void>;
  }
  interface WorkflowInstanceIntrospector {
    waitForStatus(status: string): Promise<void>;
    waitForStepResult(step: StepRef): Promise<unknown>;
    getOutput(): Promise<unknown>;
    dispose(): Promise<void>;
  }
  interface WorkflowIntrospector {
    modifyAll(fn: (m: WorkflowInstanceModifier) => Promise<void>): Promise<void>;
    get(): WorkflowInstanceIntrospector[];
    dispose(): Promise<void>;
  }
  export function introspectWorkflow(workflow: unknown): Promise<WorkflowIntrospector>;
  export function introspectWorkflowInstance(workflow: unknown, instanceId: string): Promise<WorkflowInstanceIntrospector>;
}
