import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * The dependency rule (ARCHITECTURE.md): domain imports nothing of the outer layers and no
 * library with I/O, and takes time from a Clock port; application imports domain only. This test
 * reads the sources, so CI fails when a file breaks the rule.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');

export type Layer = 'domain' | 'application';

export interface Violation {
  file: string;
  line: number;
  rule: string;
}

/** Libraries that do I/O or belong to an adapter; the inner layers never import them. */
const FORBIDDEN_PACKAGES = new Set([
  'knex',
  'pg',
  'express',
  'ioredis',
  'redlock',
  '@sesamecare-oss/redlock',
  'winston',
  'inversify',
  'joi',
  'jsonwebtoken',
  'prom-client',
  'swagger-ui-express',
  '@electric-sql/pglite',
  'knex-pglite',
]);

const NODE_BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));

/** Layers each layer may import from inside src. */
const MAY_IMPORT: Record<Layer, string[]> = {
  domain: ['domain'],
  application: ['domain', 'application'],
};

/**
 * Two views of a source text with the same length and line breaks: `code` has comments blanked
 * (import specifiers stay readable), `bare` also has the contents of strings and templates
 * blanked, so words inside them are not taken for code. `${...}` inside a template stays code.
 */
export function blank(source: string): { code: string; bare: string } {
  const code = source.split('');
  const bare = source.split('');
  const out = (i: number, both: boolean) => {
    const c = source[i];
    if (c === '\n' || c === '\r') return;
    bare[i] = ' ';
    if (both) code[i] = ' ';
  };
  // Stack of open template literals: each entry counts the braces open inside its current `${`.
  const templates: number[] = [];
  let inTemplateText = false;
  let lastSignificant = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    const next = source[i + 1] ?? '';
    if (inTemplateText) {
      if (c === '\\') {
        out(i, false);
        out(i + 1, false);
        i += 2;
      } else if (c === '`') {
        inTemplateText = false;
        templates.pop();
        lastSignificant = '`';
        i += 1;
      } else if (c === '$' && next === '{') {
        inTemplateText = false;
        templates[templates.length - 1] = 0;
        lastSignificant = '{';
        i += 2;
      } else {
        out(i, false);
        i += 1;
      }
      continue;
    }
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') out(i++, true);
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      while (i < stop) out(i++, true);
      continue;
    }
    if (c === "'" || c === '"') {
      i += 1;
      while (i < source.length && source[i] !== c && source[i] !== '\n') {
        if (source[i] === '\\') out(i++, false);
        out(i++, false);
      }
      i += 1;
      lastSignificant = c;
      continue;
    }
    if (c === '`') {
      templates.push(0);
      inTemplateText = true;
      i += 1;
      continue;
    }
    if (c === '/' && (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant))) {
      // A regular expression literal: blank its body like a string.
      i += 1;
      let inClass = false;
      while (i < source.length && source[i] !== '\n' && (inClass || source[i] !== '/')) {
        if (source[i] === '\\') out(i++, false);
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        out(i++, false);
      }
      i += 1;
      lastSignificant = '/';
      continue;
    }
    if (templates.length > 0 && c === '{') templates[templates.length - 1] = (templates[templates.length - 1] ?? 0) + 1;
    if (templates.length > 0 && c === '}') {
      const depth = templates[templates.length - 1] ?? 0;
      if (depth === 0) {
        inTemplateText = true;
        i += 1;
        continue;
      }
      templates[templates.length - 1] = depth - 1;
    }
    if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? 'a' : c;
    i += 1;
  }
  return { code: code.join(''), bare: bare.join('') };
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** The package an import names: `@scope/name` or the first path segment. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const IMPORT_PATTERNS = [
  /\bfrom\s*(['"])([^'"\n]+)\1/g, // import ... from 'x', export ... from 'x'
  /\bimport\s*(['"])([^'"\n]+)\1/g, // import 'x'
  /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, // import('x')
  /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, // require('x')
];

const DOMAIN_ONLY_PATTERNS: [RegExp, string][] = [
  [/\bDate\s*\.\s*now\s*\(/g, 'Date.now() in the domain (time comes from the Clock port)'],
  [/\bnew\s+Date\s*\(\s*\)/g, 'new Date() without arguments in the domain (time comes from the Clock port)'],
  [/\bnew\s+Date(?!\s*\()/g, 'new Date without arguments in the domain (time comes from the Clock port)'],
  [/\bMath\s*\.\s*random\s*\(/g, 'Math.random() in the domain (ids and chance come from ports)'],
];

/** `any` as a type: `: any`, `as any`, `<any>`, `any[]`, `Record<string, any>`... not `.any` or a key named any. */
const ANY_TYPE = /(?<![\w$.])any(?![\w$])(?!\s*\??:(?!:))/g;

/**
 * Checks one source file of a layer against the dependency rule. `file` is its path relative to
 * the repository root (e.g. `src/domain/wallet/wallet.ts`); relative imports are resolved from it.
 */
export function checkSource(file: string, layer: Layer, source: string): Violation[] {
  const violations: Violation[] = [];
  const { code, bare } = blank(source);
  const report = (index: number, rule: string) => violations.push({ file, line: lineAt(source, index), rule });

  for (const pattern of IMPORT_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      // Only a real import: the keyword itself must be code, not inside a string.
      if (bare.slice(match.index, match.index + 4) !== code.slice(match.index, match.index + 4)) continue;
      const specifier = match[2] ?? '';
      const at = match.index;
      if (specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        const inSrc = target.startsWith('src/') ? target.slice('src/'.length) : null;
        const targetLayer = inSrc?.split('/')[0];
        if (targetLayer === 'adapters' || targetLayer === 'infrastructure') {
          report(at, `${layer} imports ${targetLayer} ('${specifier}')`);
        } else if (!targetLayer || !MAY_IMPORT[layer].includes(targetLayer)) {
          report(at, `${layer} imports ${inSrc === null ? 'outside src' : targetLayer} ('${specifier}')`);
        }
        continue;
      }
      if (specifier.startsWith('node:') || NODE_BUILTINS.has(packageOf(specifier))) {
        report(at, `${layer} imports the Node module '${specifier}'`);
        continue;
      }
      if (FORBIDDEN_PACKAGES.has(packageOf(specifier))) {
        report(at, `${layer} imports the library '${specifier}'`);
      }
    }
  }

  if (layer === 'domain') {
    for (const [pattern, rule] of DOMAIN_ONLY_PATTERNS) {
      for (const match of bare.matchAll(pattern)) report(match.index, rule);
    }
  }

  for (const match of bare.matchAll(ANY_TYPE)) report(match.index, `the type any in ${layer}`);

  // One report per line and rule, in line order.
  const seen = new Set<string>();
  return violations
    .filter((v) => {
      const key = `${v.line}:${v.rule.replace(/ \(.*$/, '')}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line);
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

export function scanLayers(): { files: Record<Layer, string[]>; violations: Violation[] } {
  const files: Record<Layer, string[]> = { domain: [], application: [] };
  const violations: Violation[] = [];
  for (const layer of ['domain', 'application'] as const) {
    for (const absolute of tsFilesUnder(path.join(SRC, layer))) {
      const file = path.relative(ROOT, absolute).split(path.sep).join('/');
      files[layer].push(file);
      violations.push(...checkSource(file, layer, readFileSync(absolute, 'utf8')));
    }
  }
  return { files, violations };
}

const format = (v: Violation) => `${v.file}:${v.line} ${v.rule}`;

describe('architecture: the dependency rule', () => {
  const scan = scanLayers();

  it('scans every TypeScript file of the domain and application layers (more than 10 files)', () => {
    expect(scan.files.domain.length + scan.files.application.length).to.be.greaterThan(10);
    expect(scan.files.domain).to.include('src/domain/wallet/wallet.ts');
    expect(scan.files.application).to.include('src/application/wallet/charge-wallet.ts');
    expect(scan.files.application).to.include('src/application/idempotency/run-idempotently.ts');
  });

  it('src/domain and src/application break no rule (imports, clock, randomness, any)', () => {
    expect(scan.violations.map(format)).to.deep.equal([]);
  });

  describe('the checker itself', () => {
    const domain = (source: string) => checkSource('src/domain/wallet/fake.ts', 'domain', source).map(format);
    const application = (source: string) => checkSource('src/application/wallet/fake.ts', 'application', source).map(format);

    it('reports a forbidden library import with its file and line', () => {
      expect(domain("import type { Wallet } from './wallet.js';\nimport knex from 'knex';\n")).to.deep.equal([
        "src/domain/wallet/fake.ts:2 domain imports the library 'knex'",
      ]);
    });

    it('reports every listed library, also as a sub-path, a side-effect, a re-export or a dynamic import', () => {
      const source = [
        "import type { Knex } from 'knex';",
        "import { Pool } from 'pg';",
        "import {",
        "  Router,",
        "} from 'express';",
        "import 'winston';",
        "export { Container } from 'inversify';",
        "const joi = await import('joi');",
        "import Redlock from '@sesamecare-oss/redlock';",
        "import { PGlite } from '@electric-sql/pglite/worker';",
      ].join('\n');
      expect(application(source)).to.deep.equal([
        "src/application/wallet/fake.ts:1 application imports the library 'knex'",
        "src/application/wallet/fake.ts:2 application imports the library 'pg'",
        "src/application/wallet/fake.ts:5 application imports the library 'express'",
        "src/application/wallet/fake.ts:6 application imports the library 'winston'",
        "src/application/wallet/fake.ts:7 application imports the library 'inversify'",
        "src/application/wallet/fake.ts:8 application imports the library 'joi'",
        "src/application/wallet/fake.ts:9 application imports the library '@sesamecare-oss/redlock'",
        "src/application/wallet/fake.ts:10 application imports the library '@electric-sql/pglite/worker'",
      ]);
    });

    it('reports Node modules in either layer, with or without the node: prefix', () => {
      expect(domain("import { readFile } from 'node:fs/promises';")).to.have.length(1);
      expect(application("import { randomUUID } from 'node:crypto';\nimport fs from 'fs';")).to.deep.equal([
        "src/application/wallet/fake.ts:1 application imports the Node module 'node:crypto'",
        "src/application/wallet/fake.ts:2 application imports the Node module 'fs'",
      ]);
    });

    it('reports relative imports into adapters or infrastructure', () => {
      expect(application("import { MemoryTable } from '../../adapters/memory/memory-transaction-manager.js';")).to.deep.equal([
        "src/application/wallet/fake.ts:1 application imports adapters ('../../adapters/memory/memory-transaction-manager.js')",
      ]);
      expect(domain("import type { Config } from '../../infrastructure/config.js';")).to.deep.equal([
        "src/domain/wallet/fake.ts:1 domain imports infrastructure ('../../infrastructure/config.js')",
      ]);
    });

    it('reports the domain importing the application, but lets the application import the domain', () => {
      expect(domain("import type { Logger } from '../../application/ports/logger.js';")).to.deep.equal([
        "src/domain/wallet/fake.ts:1 domain imports application ('../../application/ports/logger.js')",
      ]);
      expect(application("import { Wallet } from '../../domain/wallet/wallet.js';\nimport type { Clock } from '../ports/clock.js';")).to.deep.equal([]);
    });

    it('reports reading the system clock or randomness in the domain, but not a date built from a value', () => {
      expect(domain('const a = Date.now();\nconst b = new Date();\nconst c = new Date;\nconst d = Math.random();\nconst e = new Date(at.getTime() + 1000);')).to.deep.equal([
        'src/domain/wallet/fake.ts:1 Date.now() in the domain (time comes from the Clock port)',
        'src/domain/wallet/fake.ts:2 new Date() without arguments in the domain (time comes from the Clock port)',
        'src/domain/wallet/fake.ts:3 new Date without arguments in the domain (time comes from the Clock port)',
        'src/domain/wallet/fake.ts:4 Math.random() in the domain (ids and chance come from ports)',
      ]);
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

    it('ignores comments and strings: "any case", a quoted Date.now(), an import in a comment', () => {
      const source = [
        '/** Throws EmailTaken when the e-mail (any case) is already used; never calls Date.now(). */',
        "// import knex from 'knex';",
        "const message = 'any amount; new Date() is not called here';",
        'const template = `from ${"any"} source: Math.random()`;',
        'const list = [1, 2].some((n) => n > 1);',
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
