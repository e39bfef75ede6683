// The parts of @cloudflare/vitest-pool-workers' `cloudflare:test` module these tests use (its full types need workers-types).
declare module 'cloudflare:test' {
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
  export const env: Record<string, unknown>;
}
