import { dropTestDatabase } from './database.js';
import { cleanUpTestRedis } from './redis.js';

/** Root hooks: whatever this run created is removed when it ends. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await dropTestDatabase();
    await cleanUpTestRedis();
  },
};
