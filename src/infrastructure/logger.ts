import winston from 'winston';
import Transport from 'winston-transport';
import type { Logger } from '../application/ports/logger.js';
import { requestContext } from '../adapters/http/request-context.js';
import { redactCredentialsIn } from './redact-url.js';

const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|hash/i;

/** Secrets never reach a log line, whoever passes them in: by key, and as URL credentials in any text. */
function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactCredentialsIn(value);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1)]),
  );
}

const withRequestId = winston.format((info) => {
  const requestId = requestContext.get()?.requestId;
  if (requestId) info['requestId'] = requestId;
  return info;
});

const redacted = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
    else if (key !== 'level') info[key] = redact(info[key]);
  }
  return info;
});

/** Where winston's formats leave the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/** A turn that logs this many lines has them written at once: a burst is not held in memory. */
const MAX_HELD_LINES = 256;

/** Transports holding lines, written out if the process exits before their turn ends. */
const holding = new Set<StdoutLinesPerTurn>();
let exitHooked = false;

/**
 * Writes the lines logged during one turn of the event loop in one write(2), where winston's
 * Console transport makes one per line (and sets a timer per line for its 'logged' event). With
 * the request log on (LOG_LEVEL info, the default), every request wrote a line of its own: a
 * system call, and a wake-up of whatever reads the service's stdout (a container's log collector,
 * on the same machine). Lines keep their order; none waits past the end of its turn (or
 * MAX_HELD_LINES), and what is held is written at once when the logger closes or the process exits.
 */
export class StdoutLinesPerTurn extends Transport {
  private held: string[] = [];

  constructor(private readonly out: (text: string) => void = (text) => void process.stdout.write(text)) {
    super();
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    if (this.held.length === 0) {
      setImmediate(() => this.flush());
      holding.add(this);
      if (!exitHooked) {
        exitHooked = true;
        process.once('exit', () => holding.forEach((transport) => transport.flush()));
      }
    }
    this.held.push(`${String(info[MESSAGE])}\n`);
    if (this.held.length >= MAX_HELD_LINES) this.flush();
    next();
  }

  /** Writes what is held, now. */
  flush(): void {
    holding.delete(this);
    if (this.held.length === 0) return;
    const text = this.held.join('');
    this.held = [];
    this.out(text);
  }

  override close(): void {
    this.flush();
  }
}

/** JSON lines on stdout, each with the request id when there is one. */
export function createLogger(level: string, silent = false): Logger & { close(): void } {
  const stdout = new StdoutLinesPerTurn();
  const logger = winston.createLogger({
    level,
    silent,
    format: winston.format.combine(withRequestId(), redacted(), winston.format.timestamp(), winston.format.json()),
    transports: [stdout],
  });
  // A line below the level is dropped here: winston would still push it through its stream.
  // Asked once: the level and the transports never change after this, and winston's answer walks
  // the transports (the request log asks on every request).
  const enabled = (at: string) => !silent && logger.isLevelEnabled(at);
  const info = enabled('info');
  const warn = enabled('warn');
  const error = enabled('error');
  return {
    info: (message, meta) => info && logger.info(message, meta),
    warn: (message, meta) => warn && logger.warn(message, meta),
    error: (message, meta) => error && logger.error(message, meta),
    close: () => {
      stdout.flush();
      logger.close();
    },
  };
}
