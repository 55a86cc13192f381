import { ContextSlot } from '../async-context.js';

export interface RequestContext {
  requestId: string;
}

/**
 * Carries the request id through everything a request does, so every log line can name it. A slot
 * in the process's one async context, not an AsyncLocalStorage of its own (async-context.ts).
 */
export const requestContext = new ContextSlot<RequestContext>();
