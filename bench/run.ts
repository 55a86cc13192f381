import os from 'node:os';
import { parseArgs } from 'node:util';
import { startBenchServer } from './server.js';
import { walletScenario } from './wallet.js';

const SCENARIOS = {
  wallet: walletScenario,
} as const;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    connections: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '10' },
  },
});

const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
const unknown = names.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
const options = { connections: Number(values.connections), seconds: Number(values.seconds) };

for (const name of names) {
  const server = await startBenchServer();
  console.log(
    `\n== ${name}: ${options.connections} connections, ${options.seconds} s per step, ${server.database}, ${os.cpus().length} cores, Node ${process.version}`,
  );
  try {
    await SCENARIOS[name as keyof typeof SCENARIOS](server, options);
  } finally {
    await server.stop();
  }
}
