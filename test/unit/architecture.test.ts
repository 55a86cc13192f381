import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { cruise, type ICruiseOptions, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import ts from 'typescript';

/**
 * The dependency rule (docs/ARCHITECTURE.md), per layer and per bounded context, is checked by
 * dependency-cruiser with the rules in .dependency-cruiser.cjs: this test runs them on src/, so
 * CI fails when an import breaks one, and prints each violation as `rule: from → to`.
 * What an import rule cannot see (the clock, randomness and `any` in the inner layers) is
 * checked below on the TypeScript syntax tree.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
/** A small src/ tree that breaks each rule on purpose. */
const FIXTURE = path.join(ROOT, 'test/fixtures/architecture');

async function cruiseSrc(baseDir: string, options: ICruiseOptions): Promise<ICruiseResult> {
  const tsConfig = extractTSConfig(path.join(ROOT, 'tsconfig.json'));
  const { output } = await cruise(['src'], { ...options, baseDir }, {}, { tsConfig });
  if (typeof output === 'string') throw new Error(`dependency-cruiser answered with text: ${output}`);
  return output;
}

/** A package is named, not the file inside it that resolution found (`../../node_modules/knex/knex.js` → `knex`). */
const target = (to: string) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(to)?.[1] ?? to;
const format = (v: IViolation) => `${v.rule.name}: ${v.from} → ${target(v.to)}`;
const broken = (result: ICruiseResult) =>
  result.summary.violations.filter((v) => v.rule.severity !== 'ignore').map(format).sort();

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

describe('architecture: the dependency rule (dependency-cruiser, .dependency-cruiser.cjs)', () => {
  let options: ICruiseOptions;
  let src: ICruiseResult;

  before(async function () {
    // One cruise of all of src: about 5 s alone, several times that while the rest of the suite
    // shares the two cores.
    this.timeout(120_000);
    options = await extractDepcruiseOptions(CONFIG);
    src = await cruiseSrc(ROOT, options);
  });

  it('cruises every TypeScript file of src and resolves the .js imports to the .ts files', () => {
    const cruised = src.modules.map((m) => m.source).filter((s) => s.startsWith('src/')).sort();
    expect(cruised).to.deep.equal(tsFilesUnder(path.join(ROOT, 'src')));
    expect(cruised.length).to.be.greaterThan(100);
    const chargeWallet = src.modules.find((m) => m.source === 'src/application/wallet/charge-wallet.ts');
    expect(chargeWallet?.dependencies.map((d) => d.resolved)).to.include('src/domain/wallet/wallet.ts');
  });

  it('src breaks no rule (layers, contexts, libraries, cycles)', () => {
    const why = 'imports that break a rule of .dependency-cruiser.cjs (each rule says why in its comment; `npx depcruise src` lists the same)';
    expect(broken(src), why).to.deep.equal([]);
  });

  it('every exemption in the config still matches an import of src (a fixed one is taken out)', () => {
    const exempted = (options.knownViolations ?? []).map(format).sort();
    const softened = src.summary.violations.filter((v) => v.rule.severity === 'ignore').map(format).sort();
    const why = 'EXEMPTIONS of .dependency-cruiser.cjs against the imports of src they exempt: take out one that no import needs';
    expect(exempted, why).to.deep.equal(softened);
  });

  it('catches each rule in a fixture tree and names the rule, the importing file and the imported one', async () => {
    const { knownViolations: _exemptionsOfSrc, ...rules } = options;
    const fixture = await cruiseSrc(FIXTURE, rules);
    expect(broken(fixture)).to.deep.equal([
      'adapters-not-to-infrastructure: src/adapters/http/server.ts → src/infrastructure/config.ts',
      'application-imports-only-domain-and-application: src/application/ordering/place-order.ts → src/infrastructure/config.ts',
      'context-boundary-ordering: src/application/ordering/place-order.ts → src/domain/catalog/product.ts',
      'context-boundary-ordering: src/domain/ordering/order.ts → src/domain/catalog/product.ts',
      'domain-imports-only-domain: src/domain/wallet/wallet.ts → src/adapters/postgres/pg-wallet-repository.ts',
      'folder-in-no-context: src/application/reviews/list-reviews.ts → src/application/ports/clock.ts',
      'inner-layers-no-io-libraries: src/application/ordering/place-order.ts → @electric-sql/pglite',
      'inner-layers-no-io-libraries: src/application/ordering/place-order.ts → express',
      'inner-layers-no-io-libraries: src/application/ordering/place-order.ts → joi',
      'inner-layers-no-io-libraries: src/application/ordering/place-order.ts → knex',
      'inner-layers-no-node-builtins: src/domain/wallet/wallet.ts → fs',
      'no-circular: src/domain/shared/cycle-a.ts → src/domain/shared/cycle-b.ts',
      'not-to-unresolvable: src/domain/shared/errors.ts → ./missing.js',
      'shared-code-depends-on-no-context: src/application/ports/clock.ts → src/domain/ordering/order.ts',
    ]);
  });
});

export interface Finding {
  file: string;
  line: number;
  rule: string;
}

/** The name an expression ends in: `Date` for `Date` and for `globalThis.Date`. */
const lastName = (node: ts.Expression) =>
  ts.isIdentifier(node) ? node.text : ts.isPropertyAccessExpression(node) ? node.name.text : undefined;
const isCallOf = (node: ts.Node, object: string, method: string) =>
  ts.isCallExpression(node) &&
  ts.isPropertyAccessExpression(node.expression) &&
  node.expression.name.text === method &&
  lastName(node.expression.expression) === object;

/**
 * What an import rule cannot see, on the syntax tree of one source file (comments and strings
 * are not code there): the type `any` in domain and application, and in the domain the system
 * clock or randomness (time comes from the Clock port, ids from the database).
 */
export function checkSource(file: string, layer: 'domain' | 'application', source: string): Finding[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const report = (node: ts.Node, rule: string) =>
    findings.push({ file, line: tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1, rule });
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) report(node, `the type any in ${layer}`);
    if (layer === 'domain') {
      if (isCallOf(node, 'Date', 'now')) report(node, 'Date.now() in the domain (time comes from the Clock port)');
      if (ts.isNewExpression(node) && lastName(node.expression) === 'Date' && !node.arguments?.length) {
        report(node, 'new Date() without arguments in the domain (time comes from the Clock port)');
      }
      if (isCallOf(node, 'Math', 'random')) report(node, 'Math.random() in the domain (ids and chance come from ports)');
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return findings;
}

const formatFinding = (f: Finding) => `${f.file}:${f.line} ${f.rule}`;

describe('architecture: what an import rule cannot see (clock, randomness, any)', () => {
  it('src/domain and src/application use no any, and the domain neither the clock nor randomness', () => {
    const files = { domain: tsFilesUnder(path.join(ROOT, 'src/domain')), application: tsFilesUnder(path.join(ROOT, 'src/application')) };
    expect(files.domain).to.include('src/domain/wallet/wallet.ts');
    expect(files.application).to.include('src/application/wallet/charge-wallet.ts');
    const findings = (['domain', 'application'] as const).flatMap((layer) =>
      files[layer].flatMap((file) => checkSource(file, layer, readFileSync(path.join(ROOT, file), 'utf8'))),
    );
    expect(findings.map(formatFinding)).to.deep.equal([]);
  });

  describe('the checker itself', () => {
    const domain = (source: string) => checkSource('src/domain/wallet/fake.ts', 'domain', source).map(formatFinding);
    const application = (source: string) => checkSource('src/application/wallet/fake.ts', 'application', source).map(formatFinding);

    it('reports reading the system clock or randomness in the domain, but not a date built from a value', () => {
      const source = [
        'const a = Date.now();',
        'const b = new Date();',
        'const c = new Date;',
        'const d = Math.random();',
        'const e = new Date(at.getTime() + 1000);',
        'const f = globalThis.Date.now();',
      ].join('\n');
      expect(domain(source)).to.deep.equal([
        'src/domain/wallet/fake.ts:1 Date.now() in the domain (time comes from the Clock port)',
        'src/domain/wallet/fake.ts:2 new Date() without arguments in the domain (time comes from the Clock port)',
        'src/domain/wallet/fake.ts:3 new Date() without arguments in the domain (time comes from the Clock port)',
        'src/domain/wallet/fake.ts:4 Math.random() in the domain (ids and chance come from ports)',
        'src/domain/wallet/fake.ts:6 Date.now() in the domain (time comes from the Clock port)',
      ]);
      expect(application('const a = Date.now();')).to.deep.equal([]);
    });

    it('reports the type any in all its spellings', () => {
      const source = [
        'function f(x: any) {}',
        'const y = z as any;',
        'const w = <any>z;',
        'let list: any[] = [];',
        'let map: Record<string, any> = {};',
      ].join('\n');
      expect(application(source).map((v) => v.split(' ')[0])).to.deep.equal([1, 2, 3, 4, 5].map((n) => `src/application/wallet/fake.ts:${n}`));
    });

    it('ignores comments and strings: "any case", a quoted Date.now(), Promise.any, a key named any', () => {
      const source = [
        '/** Throws EmailTaken when the e-mail (any case) is already used; never calls Date.now(). */',
        "// const at = new Date();",
        "const message = 'any amount; new Date() is not called here';",
        'const template = `from ${"any"} source: Math.random()`;',
        'const fastest = Promise.any([]);',
        'const key = { any: 1 };',
        'const pattern = /["any"]/;',
      ].join('\n');
      expect(domain(source)).to.deep.equal([]);
    });

    it('still sees code inside a template expression', () => {
      expect(domain('const s = `at ${Date.now()}`;')).to.deep.equal([
        'src/domain/wallet/fake.ts:1 Date.now() in the domain (time comes from the Clock port)',
      ]);
    });
  });
});
