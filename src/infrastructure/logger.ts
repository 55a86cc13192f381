import winston from 'winston';
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

/** JSON lines on stdout, each with the request id when there is one. */
export function createLogger(level: string, silent = false): Logger & { close(): void } {
  const logger = winston.createLogger({
    level,
    silent,
    format: winston.format.combine(withRequestId(), redacted(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
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
    close: () => logger.close(),
  };
}
