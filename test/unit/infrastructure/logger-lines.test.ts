import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import winston from 'winston';
import { createLogger, StdoutLinesPerTurn } from '../../../src/infrastructure/logger.js';
import { writtenToStdout } from '../../support/stdout.js';

/** A logger writing through a StdoutLinesPerTurn into `writes` (one entry per write). */
function loggerInto(writes: string[]): { logger: winston.Logger; transport: StdoutLinesPerTurn } {
  const transport = new StdoutLinesPerTurn((text) => writes.push(text));
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [transport] });
  return { logger, transport };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('StdoutLinesPerTurn (the lines of one turn of the event loop in one write)', () => {
  it('writes the lines logged in one turn in one write, in order, once the turn is over', async () => {
    const writes: string[] = [];
    const { logger } = loggerInto(writes);
    logger.info('first', { n: 1 });
    logger.warn('second');
    logger.error('third');
    expect(writes).to.deep.equal([]);
    await nextTurn();
    expect(writes).to.have.length(1);
    expect(writes[0]!.split('\n').map((line) => (line ? (JSON.parse(line) as { message: string }).message : ''))).to.deep.equal(['first', 'second', 'third', '']);
    logger.info('fourth');
    await nextTurn();
    expect(writes).to.have.length(2);
    expect(JSON.parse(writes[1]!) as object).to.deep.equal({ level: 'info', message: 'fourth' });
  });

  it('writes at once when a turn holds 256 lines, so a burst is not held in memory', async () => {
    const writes: string[] = [];
    const { logger } = loggerInto(writes);
    for (let i = 0; i < 300; i++) logger.info(`line ${i}`);
    expect(writes).to.have.length(1);
    expect(writes[0]!.trimEnd().split('\n')).to.have.length(256);
    await nextTurn();
    expect(writes).to.have.length(2);
    expect(writes.join('').trimEnd().split('\n').map((line) => (JSON.parse(line) as { message: string }).message)).to.deep.equal(
      Array.from({ length: 300 }, (_, i) => `line ${i}`),
    );
  });

  it('writes what it holds when flushed (the logger closing), before the turn is over', () => {
    const writes: string[] = [];
    const { logger, transport } = loggerInto(writes);
    logger.info('held');
    transport.flush();
    expect(writes).to.have.length(1);
    expect(writes[0]).to.include('"held"');
  });

  it("the service's logger writes a line to stdout by the time close() returns", () => {
    const output = writtenToStdout(() => {
      const logger = createLogger('info');
      logger.info('closing', { n: 1 });
      logger.close();
    });
    expect(output).to.include('"message":"closing"');
  });

  it('writes what it holds when the process exits in the same turn (process.exit after a last line)', () => {
    const script = `
      import { createLogger } from './src/infrastructure/logger.ts';
      const logger = createLogger('info');
      logger.info('last words', { n: 1 });
      logger.error('really last');
      process.exit(3);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.status).to.equal(3);
    const messages = child.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).to.deep.equal(['last words', 'really last']);
  });
});
