import { nonconformity } from './openapi-conformance.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { PasswordHasher } from '../../src/application/ports/password-hasher.js';
import type { PaymentGateway } from '../../src/application/ports/payment-gateway.js';
import type { Clock } from '../../src/domain/shared/clock.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { type RunningService, startService } from '../../src/infrastructure/service.js';
import { testConfig } from './config.js';
import { testDatabase } from './database.js';
import { uniqueEmail } from './environment.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, instead of JSON of `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A thin HTTP client for the API as outside clients see it. */
export class ApiClient {
  /** `documented`: every answer is held to the service's OpenAPI document (the metrics port's listener is not that service). */
  constructor(
    readonly baseUrl: string,
    private readonly documented = true,
  ) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = text;
    const contentType = response.headers.get('content-type') ?? '';
    if (contentType.includes('json') && text) parsed = JSON.parse(text);
    // Every answer a suite sees is held to the served document: a drift fails the test that met it.
    const drift = this.documented ? nonconformity(method, path, response.status, contentType, parsed) : null;
    if (drift !== null) throw new Error(`The answer does not match the OpenAPI document: ${drift}`);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
}

export interface Account {
  id: number;
  email: string;
  password: string;
  token: string;
}

export interface TestService {
  api: ApiClient;
  service: RunningService;
  admin: Account;
  /** Signs up a new BUYER and logs it in. */
  newBuyer(): Promise<Account>;
  /** Has the admin create an account of any role, and logs it in. */
  newAccount(role: 'BUYER' | 'SELLER' | 'ADMIN'): Promise<Account>;
  logIn(email: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  /** `postgres`: this run's test database (real PostgreSQL or the embedded fallback). */
  persistence?: 'postgres' | 'memory';
  redis?: Redis | null;
  env?: Record<string, string>;
  /** The service's clock (e.g. a ManualClock on days no other suite writes sales on). */
  clock?: Clock;
  /** A pool of its own on this run's database instead of the shared one (e.g. a small one). */
  db?: Knex;
  /** Replaces scrypt (e.g. a hash the test holds); still bounded by PASSWORD_HASH_*. */
  passwordHasher?: PasswordHasher;
  /** Start the background jobs (default true). */
  jobs?: boolean;
  /** Replaces the configured payment gateway (e.g. one whose answers the test sets). */
  gateway?: PaymentGateway;
}

const PASSWORD = 'correct-horse-42';

/** Starts the whole service in this process, on a free port, as a client would meet it. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const adminEmail = uniqueEmail('admin');
  const config = testConfig({
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: PASSWORD,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-test-')),
    ...options.env,
  });
  const db = options.persistence === 'memory' ? null : (options.db ?? (await testDatabase()).db);
  const service = await startService(config, createLogger('error', true), {
    db,
    redis: options.redis ?? null,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.passwordHasher ? { passwordHasher: options.passwordHasher } : {}),
    ...(options.jobs === false ? { jobs: false } : {}),
    ...(options.gateway ? { gateway: options.gateway } : {}),
  });
  const api = new ApiClient(service.url);

  const logIn = async (email: string, password: string) => {
    const res = await api.post('/api/v1/auth/login', { email, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.accessToken as string;
  };
  const adminToken = await logIn(adminEmail, PASSWORD);
  const me = await api.get('/api/v1/users/me', { token: adminToken });
  const admin: Account = { id: me.body.id, email: adminEmail, password: PASSWORD, token: adminToken };

  return {
    api,
    service,
    admin,
    logIn,
    async newBuyer() {
      const email = uniqueEmail('buyer');
      const res = await api.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Test Buyer' });
      if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, email, password: PASSWORD, token: await logIn(email, PASSWORD) };
    },
    async newAccount(role) {
      const email = uniqueEmail(role.toLowerCase());
      const res = await api.post(
        '/api/v1/users',
        {
          email,
          password: PASSWORD,
          name: `Test ${role}`,
          role,
          ...(role === 'SELLER' ? { businessNumber: '123-45-67890' } : {}),
          ...(role === 'ADMIN' ? { adminCode: 'TEST' } : {}),
        },
        { token: adminToken },
      );
      if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, email, password: PASSWORD, token: await logIn(email, PASSWORD) };
    },
    stop: () => service.stop(),
  };
}
