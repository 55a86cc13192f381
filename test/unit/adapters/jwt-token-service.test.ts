import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import sinon from 'sinon';
import { JwtTokenService } from '../../../src/adapters/security/jwt-token-service.js';
import { expectThrowsCode } from '../expect-error.js';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('JwtTokenService (signed, stateless tokens)', () => {
  const tokens = new JwtTokenService(SECRET, 900);

  it('a token it issued verifies to the same user and role', () => {
    for (const role of ['BUYER', 'SELLER', 'ADMIN'] as const) {
      const issued = tokens.issue({ userId: 42, role, tokenVersion: 0 });
      expect(tokens.verify(issued.accessToken)).to.deep.equal({ userId: 42, role, tokenVersion: 0 });
    }
  });

  it('says how long the token lives, and the token carries that lifetime, the user as subject and HS256', () => {
    const issued = tokens.issue({ userId: 42, role: 'BUYER', tokenVersion: 0 });
    expect(issued.expiresInSeconds).to.equal(900);
    const decoded = jwt.decode(issued.accessToken, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') return expect.fail('not a JWT with a JSON payload');
    expect(decoded.header.alg).to.equal('HS256');
    expect(decoded.payload.sub).to.equal('42');
    expect(decoded.payload['role']).to.equal('BUYER');
    expect((decoded.payload.exp ?? 0) - (decoded.payload.iat ?? 0)).to.equal(900);
  });

  it('another instance with the same secret accepts the token (any instance serves any request)', () => {
    const issued = tokens.issue({ userId: 7, role: 'SELLER', tokenVersion: 2 });
    expect(new JwtTokenService(SECRET, 60).verify(issued.accessToken)).to.deep.equal({ userId: 7, role: 'SELLER', tokenVersion: 2 });
  });

  it('a token signed with another secret is UNAUTHENTICATED', () => {
    const forged = new JwtTokenService('another-secret-that-is-also-long-enough-000', 900).issue({ userId: 42, role: 'ADMIN', tokenVersion: 0 });
    expectThrowsCode(() => tokens.verify(forged.accessToken), 'UNAUTHENTICATED');
  });

  it('a token whose payload was changed (BUYER made ADMIN) is UNAUTHENTICATED', () => {
    const [header, payload, signature] = tokens.issue({ userId: 42, role: 'BUYER', tokenVersion: 0 }).accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const tampered = [header, b64url({ ...claims, role: 'ADMIN' }), signature].join('.');
    expectThrowsCode(() => tokens.verify(tampered), 'UNAUTHENTICATED');
  });

  describe('expiry', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now: Date.parse('2026-01-15T09:00:00Z'), toFake: ['Date'] });
    });
    afterEach(() => clock.restore());

    it('a token is valid until its lifetime is over, then UNAUTHENTICATED as expired', () => {
      const shortLived = new JwtTokenService(SECRET, 1);
      const issued = shortLived.issue({ userId: 42, role: 'BUYER', tokenVersion: 0 });
      expect(issued.expiresInSeconds).to.equal(1);
      clock.tick(500);
      expect(shortLived.verify(issued.accessToken).userId).to.equal(42);
      clock.tick(1_000);
      const error = expectThrowsCode(() => shortLived.verify(issued.accessToken), 'UNAUTHENTICATED');
      expect((error as Error).message).to.match(/expired/i);
    });

    it('a token checked before is answered from memory until exactly its exp, and what the caller does with the answer changes nothing', () => {
      const service = new JwtTokenService(SECRET, 60);
      const { accessToken } = service.issue({ userId: 42, role: 'SELLER', tokenVersion: 1 });
      const first = service.verify(accessToken);
      first.role = 'ADMIN';
      first.userId = 1;
      first.tokenVersion = 9;
      expect(service.verify(accessToken)).to.deep.equal({ userId: 42, role: 'SELLER', tokenVersion: 1 });
      clock.tick(59_999);
      expect(service.verify(accessToken)).to.deep.equal({ userId: 42, role: 'SELLER', tokenVersion: 1 });
      clock.tick(1);
      expectThrowsCode(() => service.verify(accessToken), 'UNAUTHENTICATED');
    });

    it('remembers at most 10,000 checked tokens: past that the oldest are forgotten (checked again), the newest still remembered', () => {
      const service = new JwtTokenService(SECRET, 60);
      const minted = Array.from({ length: 10_001 }, (_, i) => service.issue({ userId: i + 1, role: 'BUYER', tokenVersion: 0 }).accessToken);
      for (const token of minted) service.verify(token);
      const checks = sinon.spy(service as unknown as { soundOwnToken(token: string): unknown }, 'soundOwnToken');
      expect(service.verify(minted[10_000]!).userId).to.equal(10_001);
      expect(checks.callCount, 'the newest token is answered from memory').to.equal(0);
      expect(service.verify(minted[0]!).userId).to.equal(1);
      expect(checks.callCount, 'the oldest token was forgotten and is checked again').to.equal(1);
      expect((service as unknown as { verified: Map<string, unknown> }).verified.size).to.be.at.most(10_000);
    });

    it('a token signed with an expiry in the past is UNAUTHENTICATED', () => {
      const past = jwt.sign({ role: 'BUYER', exp: Math.floor(Date.now() / 1000) - 10 }, SECRET, { subject: '42' });
      expectThrowsCode(() => tokens.verify(past), 'UNAUTHENTICATED');
    });
  });

  it('the token carries the user\'s token version as the claim ver, and gives it back', () => {
    const issued = tokens.issue({ userId: 42, role: 'BUYER', tokenVersion: 7 });
    expect((jwt.decode(issued.accessToken) as jwt.JwtPayload)['ver']).to.equal(7);
    expect(tokens.verify(issued.accessToken).tokenVersion).to.equal(7);
  });

  it('a token without ver (issued before token versions) counts as version 0', () => {
    const old = jwt.sign({ role: 'BUYER' }, SECRET, { algorithm: 'HS256', subject: '42', expiresIn: 60 });
    expect(tokens.verify(old)).to.deep.equal({ userId: 42, role: 'BUYER', tokenVersion: 0 });
  });

  it('a validly signed token whose ver is not a whole number from 0 is UNAUTHENTICATED', () => {
    for (const ver of [-1, 1.5, '1', null, true]) {
      const token = jwt.sign({ role: 'BUYER', ver }, SECRET, { algorithm: 'HS256', subject: '42', expiresIn: 60 });
      expectThrowsCode(() => tokens.verify(token), 'UNAUTHENTICATED');
    }
  });

  it('a validly signed token without exp is UNAUTHENTICATED: a token that never ends is refused, every time', () => {
    const forever = jwt.sign({ role: 'ADMIN', ver: 0 }, SECRET, { algorithm: 'HS256', subject: '42' });
    for (let i = 0; i < 2; i += 1) {
      const error = expectThrowsCode(() => tokens.verify(forever), 'UNAUTHENTICATED');
      expect((error as Error).message).to.match(/expiry/);
    }
  });

  it('an unsigned token (alg "none") is UNAUTHENTICATED', () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: '42', role: 'ADMIN', exp: inAnHour() })}.`;
    expectThrowsCode(() => tokens.verify(unsigned), 'UNAUTHENTICATED');
  });

  it('a token signed with another algorithm than HS256 (HS512, same secret) is UNAUTHENTICATED', () => {
    const other = jwt.sign({ role: 'BUYER' }, SECRET, { algorithm: 'HS512', subject: '42', expiresIn: 60 });
    expectThrowsCode(() => tokens.verify(other), 'UNAUTHENTICATED');
  });

  it('a validly signed token whose role is not a shop role is UNAUTHENTICATED', () => {
    for (const role of ['SUPERUSER', 'admin', '', 1]) {
      const token = jwt.sign({ role }, SECRET, { subject: '42', expiresIn: 60 });
      expectThrowsCode(() => tokens.verify(token), 'UNAUTHENTICATED');
    }
    const noRole = jwt.sign({}, SECRET, { subject: '42', expiresIn: 60 });
    expectThrowsCode(() => tokens.verify(noRole), 'UNAUTHENTICATED');
  });

  it('a validly signed token whose subject is not a positive user id is UNAUTHENTICATED', () => {
    for (const subject of ['abc', '0', '-3', '1.5', '']) {
      const token = jwt.sign({ role: 'BUYER' }, SECRET, { ...(subject ? { subject } : {}), expiresIn: 60 });
      expectThrowsCode(() => tokens.verify(token), 'UNAUTHENTICATED');
    }
    const noSubject = jwt.sign({ role: 'BUYER' }, SECRET, { expiresIn: 60 });
    expectThrowsCode(() => tokens.verify(noSubject), 'UNAUTHENTICATED');
  });

  describe('its own tokens are checked without jsonwebtoken; anything else is left to it, which decides and words the refusal', () => {
    const sign = (payload: object, header: object = { alg: 'HS256', typ: 'JWT' }) => {
      const signed = `${b64url(header)}.${b64url(payload)}`;
      return `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;
    };
    const now = () => Math.floor(Date.now() / 1000);
    afterEach(() => sinon.restore());

    it('a token as this service signs it is accepted without calling jsonwebtoken', () => {
      const spy = sinon.spy(jwt, 'verify');
      const token = sign({ role: 'SELLER', ver: 3, sub: '7', iat: now(), exp: now() + 60 });
      expect(new JwtTokenService(SECRET, 900).verify(token)).to.deep.equal({ userId: 7, role: 'SELLER', tokenVersion: 3 });
      expect(spy.callCount).to.equal(0);
    });

    it('a validly signed token with another header spelling is still judged (and accepted) by jsonwebtoken', () => {
      const spy = sinon.spy(jwt, 'verify');
      const token = sign({ role: 'BUYER', sub: '7', exp: now() + 60 }, { typ: 'JWT', alg: 'HS256' });
      expect(new JwtTokenService(SECRET, 900).verify(token)).to.deep.equal({ userId: 7, role: 'BUYER', tokenVersion: 0 });
      expect(spy.callCount).to.equal(1);
    });

    it('the same answers as jsonwebtoken for what it does not accept: not yet valid, expired, another spelling of the signature, a fourth part, a payload that is no object', () => {
      const good = sign({ role: 'BUYER', sub: '7', exp: now() + 60 });
      const [header, payload, signature] = good.split('.') as [string, string, string];
      // The signature's last character carries 2 unused bits: this one decodes to the same bytes.
      const last = signature.at(-1) as string;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const respelled = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
      const cases: [string, RegExp][] = [
        [sign({ role: 'BUYER', sub: '7', nbf: now() + 60, exp: now() + 120 }), /not valid/],
        [sign({ role: 'BUYER', sub: '7', nbf: 'soon', exp: now() + 120 }), /not valid/],
        [sign({ role: 'BUYER', sub: '7', exp: now() - 1 }), /expired/],
        [sign({ role: 'BUYER', sub: '7', exp: String(now() + 60) }), /not valid/],
        [`${header}.${payload}.${respelled}`, /not valid/],
        [`${good}.x`, /not valid/],
        [sign([1, 2] as unknown as object), /not valid|expiry/],
      ];
      for (const [token, message] of cases) {
        const error = expectThrowsCode(() => new JwtTokenService(SECRET, 900).verify(token), 'UNAUTHENTICATED');
        expect((error as Error).message, token).to.match(message);
      }
    });
  });

  it('something that is not a JWT at all is UNAUTHENTICATED', () => {
    for (const junk of ['', 'not-a-jwt', 'a.b.c', jwt.sign('just a string', SECRET)]) {
      expectThrowsCode(() => tokens.verify(junk), 'UNAUTHENTICATED');
    }
  });
});
