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
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  const send = (spec: RequestSpec) =>
    new Promise<number>((resolve, reject) => {
      const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: spec.method,
          path: spec.path,
          headers: {
            ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        try {
          const status = await send(nextRequest(worker, i));
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 500) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    name,
    requests: latencies.length,
    errors,
    statuses,
    seconds,
    rps: latencies.length / seconds,
    p50: pct(50),
    p99: pct(99),
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
