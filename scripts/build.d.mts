// Types of scripts/build.mjs for the TypeScript files that import it (tests, scripts/run-ts.mjs's users).
export const NODE_BANNER: string;
export const CLIENT_MODULE: string;
export function buildClient(options?: { write?: boolean }): Promise<string>;
export function buildNode(): Promise<void>;
