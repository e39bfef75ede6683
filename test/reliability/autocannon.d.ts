// The slice of autocannon@9's API the load test uses (the package ships no types).
declare module 'autocannon' {
  export interface Histogram { average: number; mean: number; p50: number; p90: number; p99: number; max: number; min: number }
  export interface Result {
    requests: Histogram & { total: number; sent: number };
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    duration: number;
  }
  export interface Request { method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string>; setupRequest?: (req: Request) => Request }
  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: Request[];
    timeout?: number;
    pipelining?: number;
  }
  export default function autocannon(opts: Options): Promise<Result>;
}
