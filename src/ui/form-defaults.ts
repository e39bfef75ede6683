// The engine's defaults that the forms' presets start from: the server renders them into the form's data-defaults
// attribute (pages.ts, retrain-pages.ts) and the page script reads them back, so no default is written twice.
// Types only: the browser script imports this file, and must not pull in the engine.

/** What an audit request that leaves these fields out gets (AuditSettingsSchema). */
export interface AuditFormDefaults {
  attacks: string[];
  norm: string;
  epsilons: number[];
  bits: number[];
  defense: string;
  limit: number;
  /** Square's budget for a thorough audit (SQUARE_DEFAULTS.queriesThorough); the default budget is the attack's own. */
  thoroughQueries: number;
}

/** What a retraining request that leaves these fields out gets (RetrainConfigSchema and its closing audit). */
export interface RetrainFormDefaults {
  epochs: number;
  batchSize: number;
  seed: number;
  attacks: string[];
  epsilons: number[];
  limit: number;
}
