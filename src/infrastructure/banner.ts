import path from 'node:path';
import type { Config } from './config.js';
import type { DemoDataReport, DemoLogin } from './demo-data.js';
import { redactUrl } from './redact-url.js';
import type { RunningService } from './service.js';

/** What `npm start` prints once the service listens: where it is, what it runs on, and how to log in. */
export function startupBanner(
  service: Pick<RunningService, 'url' | 'database' | 'configuredAdmin' | 'demoData' | 'metricsUrl'>,
  config: Pick<Config, 'redisUrls' | 'dataPlatformUrl' | 'eventsFile' | 'eventPublisher' | 'dataPlatformFormat' | 'rabbitMq'>,
): string {
  const lines = [
    '',
    `Order service listening on ${service.url}`,
    `  API docs:  ${service.url}/docs`,
    `  database:  ${service.database.description}`,
    `  redis:     ${config.redisUrls.length > 0 ? config.redisUrls.map((url) => redactUrl(url)).join(', ') : 'off (in-process locks, counters and limits: one instance only)'}`,
    `  events:    ${eventsLine(config)}`,
  ];
  if (service.metricsUrl) lines.push(`  metrics:   ${service.metricsUrl}/metrics (METRICS_PORT)`);
  if (service.configuredAdmin) {
    const { email, result } = service.configuredAdmin;
    lines.push(`  admin:     ${email} (ADMIN_EMAIL, ${result === 'created' ? 'created now' : 'already there'}; password from ADMIN_PASSWORD)`);
  }
  if (service.demoData) lines.push(...demoLines(service.demoData));
  return `${lines.join('\n')}\n\n`;
}

function demoLines(report: DemoDataReport): string[] {
  if (report.state === 'skipped') return ['  demo data: not loaded (the database already has accounts of its own)'];
  const lines: string[] = [];
  if (report.state === 'loaded') {
    const accounts = report.logins.map((l) => `${l.role} ${l.email}`).join(', ');
    lines.push(`  demo data: loaded now: ${report.logins.length} accounts (${accounts}), ${report.products} products, coupons ${report.coupons.join(', ')}`);
    lines.push(
      report.passwordsFile
        ? `  demo logins (POST /api/v1/auth/login; passwords generated for this data directory, kept in ${report.passwordsFile}):`
        : '  demo logins (POST /api/v1/auth/login; the published demo password, DEMO_DATA=true):',
    );
  } else {
    lines.push('  demo data: already in the database (loaded by an earlier start)');
    lines.push('  demo logins (POST /api/v1/auth/login):');
  }
  for (const login of report.logins) lines.push(loginLine(login));
  return lines;
}

function loginLine(login: DemoLogin): string {
  const note = login.note ? `   (${login.note})` : '';
  // Never a password that may not be the account's own: an unknown one is said to be unknown.
  if (login.password === null) return `    ${login.role.padEnd(6)} ${login.email}   password not known to this start (changed since, or set by another data directory)`;
  return `    ${login.role.padEnd(6)} ${login.email} / ${login.password}${note}`;
}

/** Where events go. Never the data platform's or the broker's URL: they may carry credentials. */
function eventsLine(config: Pick<Config, 'eventsFile' | 'eventPublisher' | 'dataPlatformFormat' | 'rabbitMq'>): string {
  const format = config.dataPlatformFormat === 'cloudevents' ? ', as CloudEvents' : '';
  switch (config.eventPublisher) {
    case 'http':
      return `to the data platform (DATA_PLATFORM_URL${format})`;
    case 'rabbitmq':
      return `to RabbitMQ, exchange ${config.rabbitMq?.exchange ?? '?'} (RABBITMQ_URL${format})`;
    case 'file':
      return `${path.resolve(config.eventsFile)} (JSON lines${format}; DATA_PLATFORM_URL unset)`;
  }
}
