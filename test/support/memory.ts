import type { Container } from 'inversify';
import { buildContainer } from '../../src/infrastructure/container.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import type { PasswordHasher } from '../../src/application/ports/password-hasher.js';
import type { Clock } from '../../src/domain/shared/clock.js';
import { TEST_JWT_SECRET, testConfig } from './config.js';

/** The whole application on the in-memory adapters: no I/O at all. */
export function memoryContainer(options: { clock?: Clock; env?: Record<string, string>; passwordHasher?: PasswordHasher } = {}): Promise<Container> {
  return buildContainer({
    config: testConfig(options.env),
    logger: createLogger('error', true),
    jwtSecret: TEST_JWT_SECRET,
    db: null,
    redis: null,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.passwordHasher ? { passwordHasher: options.passwordHasher } : {}),
  });
}
