import os from 'node:os';
import { parseArgs } from 'node:util';
import { startBenchServer } from './server.js';
import { couponsScenario } from './coupons.js';
import { ordersScenario } from './orders.js';
import { outboxScenario } from './outbox.js';
import { popularScenario } from './popular.js';
import { productsScenario } from './products.js';
import { walletScenario } from './wallet.js';
import type { BenchServer } from './server.js';

export interface ScenarioOptions {
  connections: number;
  seconds: number;
  instances: number;
  /** `--profile`: the service runs under `node --cpu-prof` (scenarios that support it: orders, coupons). */
  profile: boolean;
  /** `--explain-statements`: list the SQL of one request of each measured route (orders). */
  explainStatements: boolean;
}

interface Scenario {
  run(server: BenchServer | null, options: ScenarioOptions): Promise<void>;
  /** Scenarios that start their own servers (e.g. one per configuration) say so. */
  ownServers?: boolean;
}

const SCENARIOS: Record<string, Scenario> = {
  wallet: { run: (server, options) => walletScenario(server as BenchServer, options) },
  products: { run: productsScenario, ownServers: true },
  orders: { run: ordersScenario, ownServers: true },
  coupons: { run: couponsScenario, ownServers: true },
  outbox: { run: outboxScenario, ownServers: true },
  popular: { run: popularScenario, ownServers: true },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    connections: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '10' },
    instances: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    'explain-statements': { type: 'boolean', default: false },
  },
});

const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
const unknown = names.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
const options: ScenarioOptions = {
  connections: Number(values.connections),
  seconds: Number(values.seconds),
  instances: Number(values.instances),
  profile: values.profile,
  explainStatements: values['explain-statements'],
};

for (const name of names) {
  const scenario = SCENARIOS[name] as Scenario;
  const server = scenario.ownServers ? null : await startBenchServer();
  console.log(
    `\n== ${name}: ${options.connections} connections, ${options.seconds} s per step, ${server?.database ?? 'PostgreSQL'}, ${os.cpus().length} cores, Node ${process.version}`,
  );
  try {
    await scenario.run(server, options);
  } finally {
    await server?.stop();
  }
}
