import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** Markdown links `[text](target)` that point into the repository (not http:, mailto: or #anchors). */
function localLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:|^#/.test(target));
}

describe('the README and docs/ link only to what a clone has', () => {
  for (const document of DOCUMENTS) {
    it(`${document}: every local link resolves, and none leaves the repository`, () => {
      const text = readFileSync(join(ROOT, document), 'utf8');
      for (const target of localLinks(text)) {
        const file = resolve(ROOT, dirname(document), target.split('#')[0]!);
        expect(file.startsWith(ROOT + '/'), `${target} leaves the repository`).to.equal(true);
        expect(existsSync(file), `${target} does not exist`).to.equal(true);
      }
      expect(text, 'a path outside the repository').to.not.match(/\.\.\/shared/);
    });
  }

  it('the README links to the contract, the business rules and the architecture notes', () => {
    const links = localLinks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(links).to.include.members(['docs/API.md', 'docs/DOMAIN.md', 'docs/ARCHITECTURE.md']);
  });
});
