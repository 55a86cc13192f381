import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';

/**
 * Unit tests build the use cases from the memory adapters directly (test/support/memory-shop.ts),
 * never through the production container: a use case's test then shows what it is made of, and
 * a change of the composition root's structure cannot break (or silently feed) them. The
 * container's wiring is tested where the service is started (test/e2e, test/integration).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CONTAINER = 'src/infrastructure/container.ts';

const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** The files `file` imports (or re-exports, or `import()`s) by a relative path, `.js` read as `.ts`. */
function localImportsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts')))
    .filter((resolved) => existsSync(resolved));
}

/** For every file reached from `starts` through local imports: the chain of files that first reached it. */
function reached(starts: string[]): Map<string, string[]> {
  const chains = new Map<string, string[]>(starts.map((start) => [start, [start]]));
  const queue = [...starts];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const next of localImportsOf(file)) {
      if (chains.has(next)) continue;
      chains.set(next, [...chains.get(file)!, next]);
      queue.push(next);
    }
  }
  return chains;
}

describe('unit tests of the application build their use cases without the production container', () => {
  const unitTests = tsFilesUnder(path.join(ROOT, 'test/unit/application'));

  it('no file of test/unit/application reaches src/infrastructure/container.ts, directly or through what it imports', () => {
    const chains = reached(unitTests);
    const chain = chains.get(path.join(ROOT, CONTAINER));
    if (chain) expect.fail(`a unit test of the application reaches the production container: ${chain.map(relative).join(' → ')}`);
  });

  it('the check sees the imports (it reaches the memory adapters and the use cases through test/support/memory-shop.ts)', () => {
    const files = [...reached(unitTests).keys()].map(relative);
    expect(files).to.include.members([
      'test/support/memory-shop.ts',
      'src/adapters/memory/ordering.ts',
      'src/application/ordering/cancel-order.ts',
      'src/application/coupons/create-coupon.ts',
    ]);
    // And it would see the container: the service, which starts it, reaches it.
    expect(reached([path.join(ROOT, 'src/infrastructure/service.ts')]).has(path.join(ROOT, CONTAINER))).to.equal(true);
  });
});
