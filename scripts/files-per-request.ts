/**
 * How many of the service's own source files one request runs code in: POST /api/v1/payments/process
 * with the internal gateway and the memory adapters (what a reader following that request has to
 * open, measured rather than guessed). Uses V8's precise coverage: counters are reset just before
 * the request and read just after, so only code the request ran is counted (start-up is not).
 *
 *   npx tsx scripts/files-per-request.ts [--list]
 */
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { OrderingClient } from '../test/e2e/orders-support.js';
import { startTestService } from '../test/support/service.js';

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });

const t = await startTestService({ persistence: 'memory' });
const shop = new OrderingClient(t);
const listing = await shop.listing({ options: [{ name: 'ONE', stock: 10 }] });
const buyer = await t.newBuyer();
await t.api.post('/api/v1/balances/charge', { amount: 100_000 }, { token: buyer.token });
// One paid order first, so lazy set-up (caches, prepared paths) is not counted as the request's.
await shop.payOk(buyer, (await shop.order(buyer, listing)).id);
const order = await shop.order(buyer, listing);

await session.post('Profiler.takePreciseCoverage'); // resets the counters
await shop.payOk(buyer, order.id);
const { result } = await session.post('Profiler.takePreciseCoverage');
await t.stop();

const root = path.resolve('src') + path.sep;
const files = new Set<string>();
for (const script of result) {
  const file = script.url.startsWith('file://') ? new URL(script.url).pathname : script.url;
  if (!file.startsWith(root)) continue;
  if (script.functions.some((f) => f.ranges.some((r) => r.count > 0))) files.add(path.relative(path.resolve('.'), file));
}
const byLayer = new Map<string, number>();
for (const file of files) {
  const layer = file.split(path.sep).slice(1, 3).join('/');
  byLayer.set(layer, (byLayer.get(layer) ?? 0) + 1);
}
console.log(`POST /api/v1/payments/process ran code in ${files.size} files of src/`);
for (const [layer, n] of [...byLayer].sort()) console.log(`  ${layer}: ${n}`);
if (process.argv.includes('--list')) for (const file of [...files].sort()) console.log(`    ${file}`);
process.exit(0);
