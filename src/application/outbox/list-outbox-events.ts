import { type Page, type PageRequest } from '../../domain/shared/page.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { OutboxStatus, OutboxStore } from '../ports/outbox-store.js';
import { outboxEventView, type OutboxEventView } from './outbox-event-view.js';

/** ADMIN: the outbox, newest first, optionally of one status. */
export class ListOutboxEvents {
  constructor(private readonly store: OutboxStore) {}

  async execute(actor: Actor, query: PageRequest & { status?: OutboxStatus }): Promise<Page<OutboxEventView>> {
    assertRole(actor, 'ADMIN');
    const page = await this.store.list(query);
    return { ...page, items: page.items.map(outboxEventView) };
  }
}
