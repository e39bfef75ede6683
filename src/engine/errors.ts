// Typed engine errors; the HTTP layer maps `code` to a status in one place.
export type EngineErrorCode =
  | 'invalid_model' // malformed model.json / shards
  | 'unsupported_layer'
  | 'unsupported_dtype'
  | 'invalid_data' // malformed .npz or data that does not fit the model
  | 'invalid_argument' // a setting out of range
  | 'limit_exceeded' // a documented limit (size, samples, work)
  | 'engine_failure' // the runtime misbehaved (self-test failed)
  | 'time_limit'; // a job ran past its wall-clock limit (set by the job drivers)

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** Where in the input the problem is, e.g. `modelTopology.config.layers[3]`. */
    readonly pointer?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Throws an EngineError of `code` unless `cond` holds; message as "expected X, got Y". */
export function expect(cond: unknown, code: EngineErrorCode, message: string, pointer?: string): asserts cond {
  if (!cond) throw new EngineError(code, message, pointer);
}
