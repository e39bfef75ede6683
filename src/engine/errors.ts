// Typed errors that classify themselves: each code has a category, one table maps a category to the HTTP status
// and the CLI exit code, and toJSON/fromJSON carry an error across a worker thread or into a job record.

/** What kind of failure an error is, independent of where it is reported. */
export type ErrorCategory = 'bad_request' | 'unprocessable' | 'not_found' | 'conflict' | 'unavailable' | 'internal';

/** The one mapping of categories to the HTTP status of a problem+json answer and to the `qaudit` exit code. */
export const CATEGORIES: Record<ErrorCategory, { status: 400 | 404 | 409 | 422 | 500 | 503; exit: 2 | 3 }> = {
  bad_request: { status: 400, exit: 2 },
  unprocessable: { status: 422, exit: 2 },
  not_found: { status: 404, exit: 2 },
  conflict: { status: 409, exit: 2 },
  // The same call may succeed later (network failure, 5xx, throttling).
  unavailable: { status: 503, exit: 3 },
  internal: { status: 500, exit: 3 },
};

/** An error as plain data (structured-clone and JSON safe). */
export interface ErrorJSON {
  name: string;
  code: string;
  category: ErrorCategory;
  message: string;
  /** EngineError: where in the input the problem is; StorageError: the key. */
  pointer?: string;
}

/** The base of typed errors: a stable `code`, the `category` it implies, and a plain-data form. */
export abstract class ClassifiedError extends Error {
  abstract readonly code: string;
  abstract readonly category: ErrorCategory;

  /** True when the same call may succeed later. */
  get retryable(): boolean {
    return this.category === 'unavailable';
  }

  toJSON(): ErrorJSON {
    return { name: this.name, code: this.code, category: this.category, message: this.message };
  }
}

/** The category of any thrown value: typed errors carry theirs, anything else is internal. */
export const categoryOf = (e: unknown): ErrorCategory => (e instanceof ClassifiedError ? e.category : 'internal');

export type EngineErrorCode =
  | 'invalid_model' // malformed model.json / shards
  | 'unsupported_layer'
  | 'unsupported_dtype'
  | 'invalid_data' // malformed .npz or data that does not fit the model
  | 'invalid_argument' // a setting out of range
  | 'limit_exceeded' // a documented limit (size, samples, work)
  | 'engine_failure' // the runtime misbehaved (self-test failed)
  | 'time_limit'; // a job ran past its wall-clock limit (set by the job drivers)

export const ENGINE_CATEGORIES: Record<EngineErrorCode, ErrorCategory> = {
  invalid_model: 'unprocessable', unsupported_layer: 'unprocessable', unsupported_dtype: 'unprocessable',
  invalid_data: 'unprocessable', invalid_argument: 'bad_request', limit_exceeded: 'unprocessable', engine_failure: 'internal',
  time_limit: 'unprocessable',
};

export class EngineError extends ClassifiedError {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** Where in the input the problem is, e.g. `modelTopology.config.layers[3]`. */
    readonly pointer?: string,
  ) {
    super(message);
  }

  get category(): ErrorCategory {
    return ENGINE_CATEGORIES[this.code] ?? 'internal';
  }

  override toJSON(): ErrorJSON {
    return { ...super.toJSON(), ...(this.pointer === undefined ? {} : { pointer: this.pointer }) };
  }

  static fromJSON(j: Pick<ErrorJSON, 'code' | 'message' | 'pointer'>): EngineError {
    return new EngineError(j.code as EngineErrorCode, j.message, j.pointer);
  }
}

/** Throws an EngineError of `code` unless `cond` holds; message as "expected X, got Y". */
export function expect(cond: unknown, code: EngineErrorCode, message: string, pointer?: string): asserts cond {
  if (!cond) throw new EngineError(code, message, pointer);
}
