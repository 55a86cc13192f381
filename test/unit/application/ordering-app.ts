import { expect } from 'chai';
import type { ProductView } from '../../../src/application/catalog/product-view.js';
import type { OrderLineRequest } from '../../../src/application/ordering/place-order.js';
import type { OrderView } from '../../../src/application/ordering/views.js';
import type { EventType } from '../../../src/application/ports/outbox.js';
import type { GatewayAnswer, GatewayStatus, PaymentGateway } from '../../../src/application/ports/payment-gateway.js';
import type { NewOption } from '../../../src/domain/catalog/product.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { uniqueEmail } from '../../support/environment.js';
import { memoryShop } from '../../support/memory-shop.js';

/** Where the tests' physical goods go (issue 12: an order with a physical line needs an address). */
export const TEST_ADDRESS = { recipient: 'Test Buyer', phone: '010-1234-5678', postalCode: '06236', line1: '1 Test-ro' };

export const PASSWORD = 'correct-horse-42';
export const PRICE = 59_000;

/**
 * A payment gateway the test steers: what `request` and `status` answer (or throw), and how often
 * each was asked. It is external (`settlesInTransaction` false) unless told otherwise.
 */
export class ScriptedGateway implements PaymentGateway {
  requests = 0;
  statusQueries = 0;

  constructor(
    public onRequest: () => Promise<GatewayAnswer>,
    public onStatus: () => Promise<GatewayStatus>,
    readonly settlesInTransaction = false,
  ) {}

  async request(): Promise<GatewayAnswer> {
    this.requests += 1;
    return this.onRequest();
  }

  async status(): Promise<GatewayStatus> {
    this.statusQueries += 1;
    return this.onStatus();
  }
}

/**
 * The use cases on memory adapters with a ManualClock (test/support/memory-shop.ts, not the
 * production container), plus helpers to set up a shop: an ADMIN, sellers with products, buyers
 * with money. `gateway` replaces the configured one.
 */
export async function orderingApp(options: { env?: Record<string, string>; gateway?: PaymentGateway } = {}) {
  const shop = await memoryShop(options);

  const adminEmail = uniqueEmail('admin');
  expect(await shop.ensureAdminAccount.execute(adminEmail, PASSWORD)).to.equal('created');
  const adminUser = await shop.users.findByEmail(adminEmail);
  if (!adminUser) return expect.fail('the admin was not created');

  const app = {
    ...shop,
    admin: { userId: adminUser.id, role: adminUser.role } as Actor,

    async seller(): Promise<Actor> {
      const user = await app.createAccount.execute(app.admin, {
        email: uniqueEmail('seller'),
        password: PASSWORD,
        name: 'Seller',
        role: 'SELLER',
        businessNumber: '123-45-67890',
      });
      return { userId: user.id, role: user.role };
    },

    /** A BUYER, charged with `balance` won by the ADMIN. */
    async buyer(balance = 0): Promise<Actor> {
      const user = await app.signUp.execute({ email: uniqueEmail('buyer'), password: PASSWORD, name: 'Buyer' });
      if (balance > 0) await app.charge(user.id, balance);
      return { userId: user.id, role: user.role };
    },

    /** The ADMIN charges the wallet, 100,000 won at a time (the largest single charge). */
    async charge(userId: number, amount: number): Promise<void> {
      for (let left = amount; left > 0; left -= 100_000) {
        await app.chargeWallet.execute(app.admin, { userId, amount: Math.min(left, 100_000) });
      }
    },

    async product(seller: Actor, options: NewOption[] = [{ name: '260', stock: 5 }], price = PRICE): Promise<ProductView> {
      return app.listProductForSale.execute(seller, { name: 'Runner', description: 'Light', category: 'shoes', price, options });
    },

    /** One line of `quantity` units of the product's first option. */
    async place(buyer: Actor, product: ProductView, quantity = 1): Promise<OrderView> {
      return app.placeOrder.execute(buyer, { items: [{ productId: product.id, optionId: product.options[0]!.id, quantity }], shippingAddress: TEST_ADDRESS });
    },

    /** Places and pays an order (the buyer must have the money). */
    async paid(buyer: Actor, product: ProductView, quantity = 1): Promise<OrderView> {
      const order = await app.place(buyer, product, quantity);
      await app.payForOrder.execute(buyer, order.id);
      return order;
    },

    async placeLines(buyer: Actor, items: OrderLineRequest[]): Promise<OrderView> {
      return app.placeOrder.execute(buyer, { items, shippingAddress: TEST_ADDRESS });
    },

    async balance(userId: number): Promise<number> {
      const wallet = await app.wallets.get(userId);
      if (!wallet) return expect.fail(`no wallet for user ${userId}`);
      return wallet.balance;
    },

    /** The ledger, oldest first, without the charges that set the test up. */
    async ledger(userId: number): Promise<{ type: string; amount: number; orderId: number | null }[]> {
      const page = await app.wallets.history(userId, { page: 1, size: 100 });
      return page.items
        .reverse()
        .filter((e) => e.type !== 'CHARGE')
        .map(({ type, amount, orderId }) => ({ type, amount, orderId }));
    },

    async levels(optionId: number) {
      return app.stock.levels(optionId);
    },

    async status(orderId: number) {
      return (await app.orders.get(orderId))?.status;
    },

    /** The outbox's events of one order (or all), as [type, aggregateId]. */
    events(orderId?: number): [EventType, number][] {
      return app.outbox
        .events()
        .filter((e) => orderId === undefined || e.aggregateId === orderId)
        .map((e) => [e.type, e.aggregateId]);
    },
  };

  return app;
}

export type OrderingApp = Awaited<ReturnType<typeof orderingApp>>;

/** What most ordering tests start from: a fresh app, a seller, and their product of one option ('260', 5 units). */
export interface OneProductShop {
  app: OrderingApp;
  seller: Actor;
  product: ProductView;
  optionId: number;
}

export async function oneProductShop(options: Parameters<typeof orderingApp>[0] = {}): Promise<OneProductShop> {
  const app = await orderingApp(options);
  const seller = await app.seller();
  const product = await app.product(seller, [{ name: '260', stock: 5 }]);
  return { app, seller, product, optionId: product.options[0]!.id };
}
