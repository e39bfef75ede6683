// Minimal declarations of the Workers APIs the Workflow driver uses (the project does not depend on
// @cloudflare/workers-types); shapes follow developers.cloudflare.com/workflows/build/workers-api/.
declare module 'cloudflare:workers' {
  export interface WorkflowEvent<T> {
    readonly payload: Readonly<T>;
    readonly timestamp: Date;
    readonly instanceId: string;
  }
  export interface WorkflowStepConfig {
    retries?: { limit: number; delay: string | number; backoff?: 'constant' | 'linear' | 'exponential' };
    timeout?: string | number;
  }
  export interface WorkflowStep {
    do<T>(name: string, callback: () => Promise<T>): Promise<T>;
    do<T>(name: string, config: WorkflowStepConfig, callback: () => Promise<T>): Promise<T>;
    sleep(name: string, duration: string | number): Promise<void>;
  }
  export abstract class WorkflowEntrypoint<Env = unknown, T = unknown> {
    protected readonly ctx: unknown;
    protected readonly env: Env;
    constructor(ctx: unknown, env: Env);
    abstract run(event: Readonly<WorkflowEvent<T>>, step: WorkflowStep): Promise<unknown>;
  }
}
