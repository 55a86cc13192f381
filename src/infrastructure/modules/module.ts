import type { Router } from 'express';
import { ContainerModule, type ResolutionContext } from 'inversify';
import type { Operation } from '../../adapters/http/operation.js';
import type { RateLimits } from '../../adapters/memory/rate-limiter.js';
import type { Config } from '../config.js';
import { SHARED, type Token, token } from '../tokens.js';

/** Typed lookup in the container a module is loaded into: the token carries the type. */
export type Resolve = <T>(token: Token<T>) => T;

/** A background job: run every `intervalMs` by the JobScheduler on every instance. */
export interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<unknown>;
}

/**
 * One bounded context's part of the composition root: the tokens of its use cases and the
 * container module that binds them (each through a factory over other tokens: the shared ones of
 * `SHARED`, its own, or another module's), the HTTP operations it serves under /api/v1 with the
 * routers that serve them, its background jobs and its rate limits. The root loads every module of
 * `MODULES` (modules/index.ts), mounts their routers, documents their operations and schedules
 * their jobs.
 */
export interface ContextModule<Tokens extends Record<string, Token<unknown>>> {
  name: string;
  tokens: Tokens;
  container: ContainerModule;
  /** Every operation `routes` registers, for the OpenAPI document; a test holds the two equal. */
  operations: readonly Operation[];
  routes(resolve: Resolve): Router[];
  jobs(resolve: Resolve, config: Config): Job[];
  /** The rate limits of the actions this context names (RateLimiter is shared: one table). */
  rateLimits(config: Config): RateLimits;
}

export function contextModule<Tokens extends Record<string, Token<unknown>>>(
  name: string,
  tokens: Tokens,
  parts: Omit<ContextModule<Tokens>, 'name' | 'tokens'>,
): ContextModule<Tokens> {
  return { name, tokens, ...parts };
}

/** Binds a token to a factory over other tokens (singletons: the container's default scope). */
export type BindFactory = <T>(token: Token<T>, factory: (resolve: Resolve) => T) => void;

/** A ContainerModule whose bindings are all factories, so domain and application carry no decorators. */
export function bindings(register: (bind: BindFactory) => void): ContainerModule {
  return new ContainerModule(({ bind }) =>
    register(<T>(t: Token<T>, factory: (resolve: Resolve) => T) => {
      bind<T>(t).toDynamicValue((ctx: ResolutionContext) => factory(<U>(dep: Token<U>) => ctx.get<U>(dep)));
    }),
  );
}

/** Resolves every token of `tokens`, keeping their names. */
export function resolveAll<T>(resolve: Resolve, tokens: { [K in keyof T]: Token<T[K]> }): T {
  return Object.fromEntries(Object.entries(tokens).map(([name, t]) => [name, resolve(t as Token<unknown>)])) as T;
}

/** What a context's routers take: its use cases (every token of `tokens`, by name) and the shared idempotency runner. */
export function useCasesOf<T>(resolve: Resolve, tokens: { [K in keyof T]: Token<T[K]> }) {
  return { ...resolveAll(resolve, tokens), runIdempotently: resolve(SHARED.runIdempotently) };
}

type Class = abstract new (...args: never[]) => unknown;
type ClassTokens<M extends Record<string, Class>> = { [K in keyof M as Uncapitalize<K & string>]: Token<InstanceType<M[K]>> };

const uncapitalize = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** One token per use case class, named after it: `{ PlaceOrder }` gives `{ placeOrder: Token<PlaceOrder> }`. */
export function classTokens<M extends Record<string, Class>>(classes: M): ClassTokens<M> {
  return Object.fromEntries(Object.keys(classes).map((name) => [uncapitalize(name), token(name)])) as ClassTokens<M>;
}

/** Binds each of `classes` (use cases made of their context alone) to its token of classTokens(classes). */
export function bindOver<C>(bind: BindFactory, tokens: object, context: Token<C>, classes: Record<string, new (context: C) => unknown>): void {
  const byName = tokens as Record<string, Token<unknown>>;
  for (const [name, UseCase] of Object.entries(classes)) bind(byName[uncapitalize(name)]!, (get) => new UseCase(get(context)));
}
