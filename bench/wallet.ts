import { printResult, runLoad } from './load.js';
import type { BenchServer } from './server.js';

async function json(url: string, method: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Balance reads and charges from many buyers at once (target: balance p99 under 50 ms). */
export async function walletScenario(server: BenchServer, options: { connections: number; seconds: number }): Promise<void> {
  const buyers: string[] = [];
  for (let i = 0; i < options.connections; i++) {
    const email = `bench-${Date.now().toString(36)}-${i}@bench.shop`;
    await json(`${server.url}/api/v1/auth/signup`, 'POST', { email, password: 'bench-password', name: `Bench ${i}` });
    const login = await json(`${server.url}/api/v1/auth/login`, 'POST', { email, password: 'bench-password' });
    buyers.push(login['accessToken'] as string);
  }
  const token = (worker: number) => buyers[worker % buyers.length] as string;

  printResult(
    await runLoad('GET /balances/me', server.url, options, (worker) => ({ method: 'GET', path: '/api/v1/balances/me', token: token(worker) })),
  );
  printResult(
    await runLoad('GET /balances/me/history', server.url, options, (worker) => ({
      method: 'GET',
      path: '/api/v1/balances/me/history?size=20',
      token: token(worker),
    })),
  );
  // One wallet per connection: measures the charge path, not lock waits.
  printResult(
    await runLoad('POST /balances/charge (own wallet)', server.url, options, (worker) => ({
      method: 'POST',
      path: '/api/v1/balances/charge',
      token: token(worker),
      body: { amount: 1_000 },
    })),
  );
  // Every connection on one wallet: the row lock serialises them.
  printResult(
    await runLoad('POST /balances/charge (one wallet)', server.url, options, () => ({
      method: 'POST',
      path: '/api/v1/balances/charge',
      token: token(0),
      body: { amount: 1_000 },
    })),
  );
}
