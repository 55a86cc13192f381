// `npm start`: compiles when dist/ is missing or older than the sources, then runs the service
// in this process (so signals reach it directly).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'main.js');

function newestMtime(target) {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(target).map((name) => newestMtime(path.join(target, name))));
}

function builtMtime() {
  try {
    return statSync(entry).mtimeMs;
  } catch {
    return 0;
  }
}

const sources = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'tsconfig.json')), newestMtime(path.join(root, 'tsconfig.build.json')));
if (builtMtime() < sources) {
  process.stdout.write('Building (dist/ is missing or out of date)...\n');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}
await import(pathToFileURL(entry).href);
