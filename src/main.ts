import { startupBanner } from './infrastructure/banner.js';
import { ConfigError, loadConfig } from './infrastructure/config.js';
import { createLogger } from './infrastructure/logger.js';
import { startService } from './infrastructure/service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger);
  // Before anything is printed: whoever reads the banner may signal at once, and a signal with no
  // listener yet would end the process on the spot, without a graceful stop.
  const shutdown = (signal: string) => {
    logger.info('signal received', { signal });
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  process.stdout.write(startupBanner(service, config));
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
