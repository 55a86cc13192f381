import { expect } from 'chai';
import { requireRedis } from '../support/redis.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { CatalogClient, expectProductAnswer, freshCategory, productBody, type ProductView, withReaderAtInvalidation } from './products-support.js';

// The catalog cache on Redis (PostgreSQL persistence): changes are visible at once, on one
// instance and across instances that share the database and Redis.

describe('e2e: catalog cache on Redis, one instance', function () {
  let t: TestService;
  let c: CatalogClient;
  let seller: Account;

  before(async function () {
    t = await startTestService({ persistence: 'postgres', redis: (await requireRedis(this)).connect() });
    c = new CatalogClient(t);
    seller = await t.newAccount('SELLER');
  });
  after(async function () {
    await t?.stop();
  });

  it('GET detail (warms the cache), PATCH price, GET detail at once: the new price', async function () {
    const p = await c.createOk(seller, productBody(freshCategory(), { price: 10_000 }));
    expect((await c.getOk(p.id)).price).to.equal(10_000);
    expect((await c.getOk(p.id)).price).to.equal(10_000);
    expect((await c.patch(seller, p.id, { price: 11_000 })).status).to.equal(200);
    expect((await c.getOk(p.id)).price).to.equal(11_000);
  });

  it('GET list (warms), restock, GET list at once: the new availableStock', async function () {
    const category = freshCategory();
    const p = await c.createOk(seller, productBody(category, { options: [{ name: 'ONE', stock: 1 }] }));
    expect((await c.listOk({ category })).items[0]!.availableStock).to.equal(1);
    expect((await c.restock(seller, p.id, p.options[0]!.id, { quantity: 9 })).status).to.equal(200);
    const item = (await c.listOk({ category })).items[0]!;
    expect(item.availableStock).to.equal(10);
    expect(item.stockStatus).to.equal('AVAILABLE');
  });

  it('GET list (warms), create in that category, GET list at once: it is there', async function () {
    const category = freshCategory();
    await c.createOk(seller, productBody(category));
    expect((await c.listOk({ category })).totalItems).to.equal(1);
    await c.createOk(seller, productBody(category));
    expect((await c.listOk({ category })).totalItems).to.equal(2);
  });

  it('stock moved directly then invalidated: RESERVED, then SOLD, through the Redis cache', async function () {
    const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 3 }] }));
    const option = p.options[0]!.id;
    await c.getOk(p.id);
    await c.moveStock('reserve', p.id, option, 3);
    expect((await c.getOk(p.id)).stockStatus).to.equal('RESERVED');
    await c.moveStock('confirm', p.id, option, 3);
    expect((await c.getOk(p.id)).stockStatus).to.equal('SOLD');
  });
});

describe('e2e: catalog cache on Redis, two instances sharing the database and Redis', function () {
  let a: TestService;
  let b: TestService;
  let onA: CatalogClient;
  let onB: CatalogClient;
  let seller: Account;

  before(async function () {
    const redis = await requireRedis(this);
    // Each instance has its own Redis client, as on two machines.
    a = await startTestService({ persistence: 'postgres', redis: redis.connect() });
    b = await startTestService({ persistence: 'postgres', redis: redis.connect() });
    onA = new CatalogClient(a);
    onB = new CatalogClient(b);
    seller = await a.newAccount('SELLER');
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
  });

  it('read the detail on B, PATCH the price on A, read on B at once: the new price', async function () {
    const p = await onA.createOk(seller, productBody(freshCategory(), { price: 10_000 }));
    expect((await onB.getOk(p.id)).price).to.equal(10_000);
    expect((await onA.patch(seller, p.id, { price: 12_000 })).status).to.equal(200);
    expect((await onB.getOk(p.id)).price).to.equal(12_000);
    expect((await onA.getOk(p.id)).price).to.equal(12_000);
  });

  it('read the list on B, PATCH name and price on A, read the list on B at once: the new values', async function () {
    const category = freshCategory();
    const p = await onA.createOk(seller, productBody(category, { name: 'Before', price: 10_000 }));
    expect((await onB.listOk({ category })).items[0]).to.deep.include({ name: 'Before', price: 10_000 });
    expect((await onA.patch(seller, p.id, { name: 'After', price: 20_000 })).status).to.equal(200);
    expect((await onB.listOk({ category })).items[0]).to.deep.include({ name: 'After', price: 20_000 });
  });

  it('read the list and detail on B, restock on A, read on B at once: the new availableStock', async function () {
    const category = freshCategory();
    const p = await onA.createOk(seller, productBody(category, { options: [{ name: 'ONE', stock: 0 }] }));
    expect((await onB.listOk({ category })).items[0]!.stockStatus).to.equal('OUT_OF_STOCK');
    expect((await onB.getOk(p.id)).availableStock).to.equal(0);
    expect((await onA.restock(seller, p.id, p.options[0]!.id, { quantity: 5 })).status).to.equal(200);
    const item = (await onB.listOk({ category })).items[0]!;
    expect(item).to.deep.include({ availableStock: 5, stockStatus: 'LOW_STOCK' });
    expect((await onB.getOk(p.id)).availableStock).to.equal(5);
  });

  it('read the (empty) list on B, create on A, read on B at once: it is there', async function () {
    const category = freshCategory();
    expect((await onB.listOk({ category })).totalItems).to.equal(0);
    const p = await onA.createOk(seller, productBody(category));
    const page = await onB.listOk({ category });
    expect(page.items.map((i) => i.id)).to.deep.equal([p.id]);
  });

  it('read on B, discontinue on A, read on B at once: DISCONTINUED in the detail and the status filters', async function () {
    const category = freshCategory();
    const p = await onA.createOk(seller, productBody(category));
    expect((await onB.getOk(p.id)).status).to.equal('ACTIVE');
    expect((await onB.listOk({ category, status: 'DISCONTINUED' })).totalItems).to.equal(0);
    expect((await onA.patch(seller, p.id, { status: 'DISCONTINUED' })).status).to.equal(200);
    expect(await onB.getOk(p.id)).to.deep.include({ status: 'DISCONTINUED', stockStatus: 'DISCONTINUED' });
    expect((await onB.listOk({ category, status: 'DISCONTINUED' })).items.map((i) => i.id)).to.deep.equal([p.id]);
  });

  it('a change on B is seen on A too (read on A, restock on B, read on A)', async function () {
    const p = await onA.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 2 }] }));
    expect((await onA.getOk(p.id)).availableStock).to.equal(2);
    expectProductAnswer(await onB.restock(seller, p.id, p.options[0]!.id, { quantity: 1 }), 200);
    expect((await onA.getOk(p.id)).availableStock).to.equal(3);
  });

  it('a reader on B arriving just as A\'s PATCH invalidates the cache leaves nothing stale behind', async function () {
    const p = await onA.createOk(seller, productBody(freshCategory(), { price: 10_000 }));
    await onB.getOk(p.id);
    await withReaderAtInvalidation(
      a,
      () => onB.getOk(p.id),
      async () => expect((await onA.patch(seller, p.id, { price: 13_000 })).status).to.equal(200),
    );
    expect((await onB.getOk(p.id)).price).to.equal(13_000);
  });

  // Invalidation waits for the commit of the idempotency transaction around the restock: a
  // reader on B in between would otherwise cache the old row in Redis under the new generation.
  it('a reader on B arriving just as A\'s restock invalidates the cache leaves nothing stale behind', async function () {
    const p = await onA.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 2 }] }));
    await onB.getOk(p.id);
    await withReaderAtInvalidation(
      a,
      () => onB.getOk(p.id),
      async () => expect((await onA.restock(seller, p.id, p.options[0]!.id, { quantity: 4 })).status).to.equal(200),
    );
    expect((await onB.getOk(p.id)).availableStock).to.equal(6);
    expect((await onA.getOk(p.id)).availableStock).to.equal(6);
  });

  // The same for creation and the list pages.
  it('a list reader on B arriving just as A\'s creation invalidates the cache leaves nothing stale behind', async function () {
    const category = freshCategory();
    let created: ProductView | null = null;
    await withReaderAtInvalidation(
      a,
      () => onB.listOk({ category }),
      async () => {
        created = await onA.createOk(seller, productBody(category));
      },
    );
    expect((await onB.listOk({ category })).items.map((i) => i.id)).to.deep.equal([(created as ProductView | null)?.id]);
  });
});
