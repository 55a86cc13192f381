import http from 'node:http';

export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  /** Answers by status code. */
  statuses: Record<number, number>;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

export interface RequestSpec {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** Keep-alive HTTP client for load: plain node:http, far lighter than fetch on a busy machine. */
export class LoadClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(baseUrl: string, connections: number) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  send(spec: RequestSpec): Promise<Answer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
      const req = http.request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method: spec.method,
          path: spec.path,
          headers: {
            ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...spec.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Drives `connections` keep-alive connections for `seconds`, each sending the next request as soon
 * as the previous one is answered (closed loop), and reports latency percentiles in milliseconds.
 */
export async function runLoad(
  name: string,
  baseUrl: string,
  options: { connections: number; seconds: number },
  nextRequest: (worker: number, i: number) => RequestSpec,
): Promise<LoadResult> {
  const client = new LoadClient(baseUrl, options.connections);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        try {
          const { status } = await client.send(nextRequest(worker, i));
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 500) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  client.close();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    statuses,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? 0,
  };
}

export function printResult(r: LoadResult): void {
  const statuses = Object.entries(r.statuses)
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
  console.log(
    `${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99
      .toFixed(1)
      .padStart(6)} ms   max ${r.max.toFixed(0).padStart(5)} ms   errors ${r.errors}   [${statuses}]`,
  );
}
