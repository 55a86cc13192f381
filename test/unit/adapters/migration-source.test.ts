import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { MIGRATIONS_DIR, SqlMigrationSource, splitSqlStatements } from '../../../src/adapters/postgres/migration-source.js';

const withoutComments = (sql: string) => sql.replace(/--.*$/gm, '').trim();

describe('splitSqlStatements (a migration runs one statement at a time)', () => {
  it('splits on a ";" at the end of a line', () => {
    const sql = 'CREATE TABLE a (x int);\nCREATE TABLE b (\n  y int\n);\n';
    expect(splitSqlStatements(sql)).to.deep.equal(['CREATE TABLE a (x int);', 'CREATE TABLE b (\n  y int\n);']);
  });

  it('does not split on a ";" inside a line, nor with only spaces after it', () => {
    const sql = "INSERT INTO t VALUES ('a;b');   \nSELECT 1;";
    expect(splitSqlStatements(sql)).to.deep.equal(["INSERT INTO t VALUES ('a;b');   ", 'SELECT 1;']);
  });

  it('a ";" followed by a comment still ends the statement', () => {
    expect(splitSqlStatements('SELECT 1; -- first\nSELECT 2;')).to.deep.equal(['SELECT 1; -- first', 'SELECT 2;']);
  });

  it('a ";" inside a comment does not end the statement', () => {
    const sql = 'CREATE TABLE a ( -- note;\n  x int\n);';
    expect(splitSqlStatements(sql)).to.deep.equal([sql]);
  });

  it('keeps a $$-quoted plpgsql body with ";" inside it in one statement', () => {
    const fn = [
      'CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$',
      'DECLARE',
      '  n bigint;',
      'BEGIN',
      "  RAISE EXCEPTION 'no';",
      '  RETURN NEW;',
      'END',
      '$$;',
    ].join('\n');
    const sql = `CREATE TABLE a (x int);\n\n${fn}\n\nCREATE TRIGGER t BEFORE UPDATE ON a\n  FOR EACH ROW EXECUTE FUNCTION f();\n`;
    expect(splitSqlStatements(sql)).to.deep.equal([
      'CREATE TABLE a (x int);',
      `\n${fn}`,
      '\nCREATE TRIGGER t BEFORE UPDATE ON a\n  FOR EACH ROW EXECUTE FUNCTION f();',
    ]);
  });

  it('a one-line $$ body opens and closes on the same line', () => {
    const sql = "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT 2;";
    expect(splitSqlStatements(sql)).to.deep.equal(['CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;', 'SELECT 2;']);
  });

  it('ignores "$$" inside a -- comment', () => {
    const sql = '-- bodies are $$-quoted\nCREATE TABLE a (x int);\nCREATE TABLE b (y int);';
    expect(splitSqlStatements(sql)).to.deep.equal(['-- bodies are $$-quoted\nCREATE TABLE a (x int);', 'CREATE TABLE b (y int);']);
  });

  it('drops a trailing chunk that is only comments and blank lines', () => {
    expect(splitSqlStatements('SELECT 1;\n\n-- the end\n-- really\n\n')).to.deep.equal(['SELECT 1;']);
  });

  it('keeps a last statement that has no ";"', () => {
    expect(splitSqlStatements('SELECT 1;\nSELECT 2')).to.deep.equal(['SELECT 1;', 'SELECT 2']);
  });

  it('gives nothing for an empty or comment-only file', () => {
    expect(splitSqlStatements('')).to.deep.equal([]);
    expect(splitSqlStatements('-- nothing yet\n\n')).to.deep.equal([]);
  });

  describe('the real migrations', () => {
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();

    it('are found, in name order, by the migration source', async () => {
      expect(files.length).to.be.greaterThan(0);
      const listed = await new SqlMigrationSource().getMigrations();
      expect(listed.map((m) => m.name)).to.deep.equal(files);
    });

    it('split into statements none of which is empty, each ending with ";" and with balanced $$ quotes', () => {
      for (const file of files) {
        const sql = readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
        const statements = splitSqlStatements(sql);
        expect(statements.length, file).to.be.greaterThan(0);
        for (const statement of statements) {
          const code = withoutComments(statement);
          expect(code, `${file}: empty statement`).not.to.equal('');
          expect(code.endsWith(';'), `${file}: ${code}`).to.equal(true);
          expect((code.match(/\$\$/g)?.length ?? 0) % 2, `${file}: ${code}`).to.equal(0);
          expect(code, `${file}: starts mid-statement`).to.match(/^(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|COMMENT|GRANT|DO)\b/);
        }
      }
    });

    it('lose no SQL: the statements put back together are the file', () => {
      for (const file of files) {
        const sql = readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
        expect(withoutComments(splitSqlStatements(sql).join('\n')).replace(/\s+/g, ' '), file).to.equal(
          withoutComments(sql).replace(/\s+/g, ' '),
        );
      }
    });

    it('keep each plpgsql function whole in one statement', () => {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, '0001_users_and_wallets.sql'), 'utf8');
      const functions = splitSqlStatements(sql).filter((s) => /CREATE FUNCTION/.test(s));
      expect(functions.length).to.equal((sql.match(/CREATE FUNCTION/g) ?? []).length);
      for (const fn of functions) {
        expect(withoutComments(fn)).to.match(/AS \$\$[\s\S]*BEGIN[\s\S]*END\n\$\$;$/);
      }
    });
  });
});
