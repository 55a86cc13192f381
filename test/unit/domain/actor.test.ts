import { expect } from 'chai';
import { Forbidden } from '../../../src/domain/shared/errors.js';
import { type Actor, assertActsFor, assertMayChangeAccessOf, assertRole } from '../../../src/domain/user/actor.js';
import { expectThrowsCode } from '../expect-error.js';

const buyer: Actor = { userId: 1, role: 'BUYER' };
const seller: Actor = { userId: 2, role: 'SELLER' };
const admin: Actor = { userId: 3, role: 'ADMIN' };

describe('who may act on whose resources', () => {
  describe('assertActsFor', () => {
    it('a BUYER may act on their own resources', () => {
      expect(() => assertActsFor(buyer, 1)).not.to.throw();
    });

    it('a BUYER acting on another user’s resources is FORBIDDEN', () => {
      expectThrowsCode(() => assertActsFor(buyer, 2), 'FORBIDDEN');
      expect(() => assertActsFor(buyer, 999)).to.throw(Forbidden);
    });

    it('a SELLER acting on another user’s resources is FORBIDDEN too', () => {
      expectThrowsCode(() => assertActsFor(seller, 1), 'FORBIDDEN');
    });

    it('an ADMIN may act on every user’s resources', () => {
      expect(() => assertActsFor(admin, 1)).not.to.throw();
      expect(() => assertActsFor(admin, 999)).not.to.throw();
    });
  });

  describe('assertRole', () => {
    it('a BUYER asking for an ADMIN-only action is FORBIDDEN', () => {
      expectThrowsCode(() => assertRole(buyer, 'ADMIN'), 'FORBIDDEN');
    });

    it('a SELLER is FORBIDDEN an ADMIN-only action', () => {
      expectThrowsCode(() => assertRole(seller, 'ADMIN'), 'FORBIDDEN');
    });

    it('an ADMIN passes an ADMIN-only check', () => {
      expect(() => assertRole(admin, 'ADMIN')).not.to.throw();
    });

    it('any one of several allowed roles passes, the others are FORBIDDEN', () => {
      expect(() => assertRole(seller, 'SELLER', 'ADMIN')).not.to.throw();
      expect(() => assertRole(admin, 'SELLER', 'ADMIN')).not.to.throw();
      expectThrowsCode(() => assertRole(buyer, 'SELLER', 'ADMIN'), 'FORBIDDEN');
    });
  });

  describe('assertMayChangeAccessOf (role and status of a user)', () => {
    it('an ADMIN may change another user', () => {
      expect(() => assertMayChangeAccessOf(admin, 1)).not.to.throw();
    });

    it('an ADMIN may not change their own role or status: FORBIDDEN', () => {
      const error = expectThrowsCode(() => assertMayChangeAccessOf(admin, admin.userId), 'FORBIDDEN');
      expect((error as Error).message).to.match(/own role or status/);
    });

    it('a BUYER or SELLER may change nobody, themselves included: FORBIDDEN', () => {
      for (const actor of [buyer, seller]) {
        expectThrowsCode(() => assertMayChangeAccessOf(actor, 3), 'FORBIDDEN');
        expectThrowsCode(() => assertMayChangeAccessOf(actor, actor.userId), 'FORBIDDEN');
      }
    });
  });
});
