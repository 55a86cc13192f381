import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { TEST_JWT_SECRET } from '../support/config.js';
import { uniqueEmail, uniqueName } from '../support/environment.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectIsoTime, expectProblem, expectValidation, forgeToken } from './problem.js';

const SIGNUP = '/api/v1/auth/signup';
const LOGIN = '/api/v1/auth/login';
const ME = '/api/v1/users/me';
const USERS = '/api/v1/users';
const PASSWORD = 'long-enough-password';
const USER_FIELDS = ['id', 'email', 'name', 'role', 'introduction', 'businessNumber', 'adminCode', 'status', 'createdAt'];

/** A user as API.md shows it: only the user fields, never a password or its hash. */
function expectUser(body: Record<string, unknown>, password: string): void {
  expect(Object.keys(body).filter((k) => !USER_FIELDS.includes(k)), 'fields outside the user shape').to.deep.equal([]);
  expect(body['id']).to.be.a('number');
  expect(Number.isSafeInteger(body['id']) && (body['id'] as number) > 0).to.equal(true);
  expectIsoTime(body['createdAt']);
  const text = JSON.stringify(body);
  expect(text).not.to.include(password);
  expect(text).not.to.match(/password|hash|scrypt/i);
}

// The same contract over both persistence adapters: PostgreSQL (this run's database) and the
// in-memory adapters (no database at all).
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: accounts (${persistence})`, function () {
    let t: TestService;

    before(async function () {
      t = await startTestService({ persistence });
    });
    after(async function () {
      await t?.stop();
    });

    describe('POST /api/v1/auth/signup', function () {
      it('creates a BUYER: 201 with the user, no password or hash, createdAt in ISO 8601', async function () {
        const email = uniqueEmail('signup');
        const res = await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'Kim Shopper' });

        expect(res.status).to.equal(201);
        expect(res.headers.get('content-type')).to.match(/^application\/json/);
        expectUser(res.body, PASSWORD);
        expect(res.body).to.include({ email, name: 'Kim Shopper', role: 'BUYER' });
        expect(res.body).not.to.have.any.keys('businessNumber', 'adminCode');
      });

      it('refuses a sign-up that names a role: an unknown field is 400, nobody signs up as ADMIN', async function () {
        const email = uniqueEmail('escalate');
        const res = await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'Mallory', role: 'ADMIN' });
        expectValidation(res, SIGNUP, 'role');
        // Nothing was created: the same e-mail still signs up.
        expect((await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'Mallory' })).status).to.equal(201);
      });

      it('answers 409 EMAIL_TAKEN for an e-mail already registered in another case', async function () {
        const email = uniqueEmail('dup');
        expect((await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'First' })).status).to.equal(201);
        const res = await t.api.post(SIGNUP, { email: email.toUpperCase(), password: PASSWORD, name: 'Second' });
        expectProblem(res, 409, 'EMAIL_TAKEN', SIGNUP);
      });

      it('answers 400 VALIDATION_FAILED naming the e-mail when it is not an e-mail', async function () {
        const res = await t.api.post(SIGNUP, { email: 'not-an-email', password: PASSWORD, name: 'X' });
        expectValidation(res, SIGNUP, 'email');
      });

      it('answers 400 VALIDATION_FAILED naming the password when it is shorter than 8 characters', async function () {
        const res = await t.api.post(SIGNUP, { email: uniqueEmail(), password: 'seven77', name: 'X' });
        expectValidation(res, SIGNUP, 'password');
      });

      it('accepts a password of exactly 8 characters', async function () {
        const res = await t.api.post(SIGNUP, { email: uniqueEmail(), password: 'eight888', name: 'X' });
        expect(res.status).to.equal(201);
      });

      it('answers 400 VALIDATION_FAILED naming the name when it is missing', async function () {
        const res = await t.api.post(SIGNUP, { email: uniqueEmail(), password: PASSWORD });
        expectValidation(res, SIGNUP, 'name');
      });

      it('answers 400 VALIDATION_FAILED naming an unknown extra field', async function () {
        const res = await t.api.post(SIGNUP, { email: uniqueEmail(), password: PASSWORD, name: 'X', nickname: 'typo' });
        expectValidation(res, SIGNUP, 'nickname');
      });

      // API.md: every state-changing POST takes an Idempotency-Key (or body requestId), sign-up too.
      it('replays a sign-up repeated with the same Idempotency-Key: 201 again with Idempotent-Replayed: true', async function () {
        const body = { email: uniqueEmail('signup-key'), password: PASSWORD, name: 'Retry' };
        const headers = { 'Idempotency-Key': `signup-${body.email}` };
        const first = await t.api.post(SIGNUP, body, { headers });
        const second = await t.api.post(SIGNUP, body, { headers });
        expect(first.status).to.equal(201);
        expect(second.status, JSON.stringify(second.body)).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
      });

      it('accepts a body requestId on sign-up, meaning the same as Idempotency-Key', async function () {
        const body = { email: uniqueEmail('signup-rid'), password: PASSWORD, name: 'Retry', requestId: `signup-rid-${Date.now()}` };
        const first = await t.api.post(SIGNUP, body);
        const second = await t.api.post(SIGNUP, body);
        expect(first.status, JSON.stringify(first.body)).to.equal(201);
        expect(second.status, JSON.stringify(second.body)).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
      });

      // Issue 11: the document said the e-mail is trimmed, the service answered 400.
      it('trims surrounding white space from the e-mail and the name: 201 with both trimmed, and login finds the account', async function () {
        const email = uniqueEmail('trim');
        const res = await t.api.post(SIGNUP, { email: ` \t${email}  `, password: PASSWORD, name: '  Kim Trim  ' });

        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body).to.include({ email, name: 'Kim Trim' });
        const token = await t.logIn(email, PASSWORD);
        expect((await t.api.get(ME, { token })).body.id).to.equal(res.body.id);
        const spaced = await t.api.post(LOGIN, { email: `  ${email.toUpperCase()}\n`, password: PASSWORD });
        expect(spaced.status, JSON.stringify(spaced.body)).to.equal(200);
        // The same address with other white space around it is the same account.
        expectProblem(await t.api.post(SIGNUP, { email: `${email} `, password: PASSWORD, name: 'Again' }), 409, 'EMAIL_TAKEN', SIGNUP);
      });

      it('answers 400 naming the e-mail when it is blank or has white space inside, and the name when it is blank', async function () {
        expectValidation(await t.api.post(SIGNUP, { email: '   ', password: PASSWORD, name: 'X' }), SIGNUP, 'email');
        expectValidation(await t.api.post(SIGNUP, { email: `a ${uniqueEmail()}`, password: PASSWORD, name: 'X' }), SIGNUP, 'email');
        expectValidation(await t.api.post(SIGNUP, { email: uniqueEmail(), password: PASSWORD, name: ' \t ' }), SIGNUP, 'name');
      });

      // Issue 11: the old document's `format: email` refused what the service accepts.
      it('accepts an internationalised e-mail (ü@…, a Unicode domain): 201 as given, and it logs in in another case', async function () {
        for (const email of [`ü-${uniqueEmail('idn')}`, `${uniqueName('idn')}@bücher.example`]) {
          const res = await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'Müller' });
          expect(res.status, JSON.stringify(res.body)).to.equal(201);
          expect(res.body.email).to.equal(email);
          const login = await t.api.post(LOGIN, { email: email.toUpperCase(), password: PASSWORD });
          expect(login.status, `${email.toUpperCase()}: ${JSON.stringify(login.body)}`).to.equal(200);
          expectProblem(await t.api.post(SIGNUP, { email: email.toUpperCase(), password: PASSWORD, name: 'Twin' }), 409, 'EMAIL_TAKEN', SIGNUP);
        }
      });

      it('names every bad field at once', async function () {
        const res = await t.api.post(SIGNUP, { email: 'nope', password: 'short' });
        expectValidation(res, SIGNUP, 'email', 'password', 'name');
      });
    });

    describe('POST /api/v1/auth/login and GET /api/v1/users/me', function () {
      it('logs in with the e-mail in another case: 200 {accessToken, tokenType: "Bearer", expiresIn: 3600}', async function () {
        const email = uniqueEmail('login');
        const signup = await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'Lee' });
        expect(signup.status).to.equal(201);

        const res = await t.api.post(LOGIN, { email: email.toUpperCase(), password: PASSWORD });

        expect(res.status).to.equal(200);
        expect(Object.keys(res.body)).to.have.members(['accessToken', 'tokenType', 'expiresIn']);
        expect(res.body.tokenType).to.equal('Bearer');
        expect(res.body.expiresIn).to.equal(3600);
        expect(res.body.accessToken).to.be.a('string').that.is.not.empty;
        // HS256, subject = user id, with role and exp (API.md "Conventions").
        const decoded = jwt.verify(res.body.accessToken, TEST_JWT_SECRET, { algorithms: ['HS256'], complete: true });
        expect(decoded.header.alg).to.equal('HS256');
        const claims = decoded.payload as jwt.JwtPayload;
        expect(claims.sub).to.equal(String(signup.body.id));
        expect(claims['role']).to.equal('BUYER');
        expect(claims.exp).to.be.closeTo(Math.floor(Date.now() / 1000) + 3600, 30);
      });

      it('answers 401 UNAUTHENTICATED for a wrong password', async function () {
        const buyer = await t.newBuyer();
        const res = await t.api.post(LOGIN, { email: buyer.email, password: 'wrong-password-1' });
        expectProblem(res, 401, 'UNAUTHENTICATED', LOGIN);
      });

      it('answers 401 UNAUTHENTICATED for an unknown e-mail, the same as a wrong password', async function () {
        const res = await t.api.post(LOGIN, { email: uniqueEmail('nobody'), password: PASSWORD });
        expectProblem(res, 401, 'UNAUTHENTICATED', LOGIN);
      });

      it('answers 400 VALIDATION_FAILED for a login without a password', async function () {
        const res = await t.api.post(LOGIN, { email: uniqueEmail() });
        expectValidation(res, LOGIN, 'password');
      });

      it('answers 400 VALIDATION_FAILED naming the e-mail when it is only white space', async function () {
        expectValidation(await t.api.post(LOGIN, { email: ' \t ', password: PASSWORD }), LOGIN, 'email');
      });

      it('answers 400 VALIDATION_FAILED naming an unknown login field', async function () {
        const res = await t.api.post(LOGIN, { email: uniqueEmail(), password: PASSWORD, remember: true });
        expectValidation(res, LOGIN, 'remember');
      });

      it('GET /users/me answers 200 with the caller, the same user sign-up returned', async function () {
        const email = uniqueEmail('me');
        const signup = await t.api.post(SIGNUP, { email, password: PASSWORD, name: 'Park' });
        const token = await t.logIn(email, PASSWORD);

        const res = await t.api.get(ME, { token });

        expect(res.status).to.equal(200);
        expectUser(res.body, PASSWORD);
        expect(res.body).to.deep.equal(signup.body);
      });

      describe('GET /users/me refuses with 401 UNAUTHENTICATED', function () {
        let buyerId: number;
        before(async function () {
          buyerId = (await t.newBuyer()).id;
        });

        it('without a token', async function () {
          expectProblem(await t.api.get(ME), 401, 'UNAUTHENTICATED', ME);
        });

        for (const header of ['Token abc.def.ghi', 'Bearer', 'Bearer ', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt']) {
          it(`with a malformed Authorization header: "${header}"`, async function () {
            expectProblem(await t.api.get(ME, { headers: { authorization: header } }), 401, 'UNAUTHENTICATED', ME);
          });
        }

        it('with a token signed with another secret', async function () {
          const token = forgeToken({ sub: buyerId, role: 'BUYER' }, 'another-secret-that-is-long-enough-0123456789');
          expectProblem(await t.api.get(ME, { token }), 401, 'UNAUTHENTICATED', ME);
        });

        it('with an expired token (right secret, exp in the past)', async function () {
          const token = forgeToken({ sub: buyerId, role: 'BUYER', exp: Math.floor(Date.now() / 1000) - 60 });
          expectProblem(await t.api.get(ME, { token }), 401, 'UNAUTHENTICATED', ME);
        });

        it('with an unsigned token (alg "none")', async function () {
          const token = jwt.sign({ role: 'ADMIN', exp: Math.floor(Date.now() / 1000) + 3600 }, null, { algorithm: 'none', subject: String(buyerId) });
          expectProblem(await t.api.get(ME, { token }), 401, 'UNAUTHENTICATED', ME);
        });

        it('with a token whose role is not one of BUYER, SELLER, ADMIN', async function () {
          const token = forgeToken({ sub: buyerId, role: 'ROOT' });
          expectProblem(await t.api.get(ME, { token }), 401, 'UNAUTHENTICATED', ME);
        });

        it('while a well-forged token with the right secret is accepted (the checks above are not vacuous)', async function () {
          const res = await t.api.get(ME, { token: forgeToken({ sub: buyerId, role: 'BUYER' }) });
          expect(res.status).to.equal(200);
          expect(res.body.id).to.equal(buyerId);
        });
      });

      it('blocks an account after 5 wrong passwords: the right one then answers 429 TOO_MANY_FAILURES with Retry-After', async function () {
        const buyer = await t.newBuyer();
        for (let i = 1; i <= 5; i++) {
          const wrong = await t.api.post(LOGIN, { email: buyer.email, password: `wrong-password-${i}` });
          expectProblem(wrong, 401, 'UNAUTHENTICATED', LOGIN);
        }

        const res = await t.api.post(LOGIN, { email: buyer.email, password: buyer.password });

        expectProblem(res, 429, 'TOO_MANY_FAILURES', LOGIN);
        const retryAfter = res.headers.get('retry-after');
        expect(retryAfter).to.match(/^\d+$/);
        expect(Number(retryAfter)).to.be.within(1, 600);
        // The block is per account: another account still logs in.
        const other = await t.newBuyer();
        expect((await t.api.post(LOGIN, { email: other.email, password: other.password })).status).to.equal(200);
      });

      it('4 wrong passwords then the right one still logs in (the threshold is 5)', async function () {
        const buyer = await t.newBuyer();
        for (let i = 1; i <= 4; i++) {
          expect((await t.api.post(LOGIN, { email: buyer.email, password: `wrong-password-${i}` })).status).to.equal(401);
        }
        expect((await t.api.post(LOGIN, { email: buyer.email, password: buyer.password })).status).to.equal(200);
      });
    });

    describe('POST /api/v1/users', function () {
      const sellerBody = () => ({
        email: uniqueEmail('seller'),
        password: PASSWORD,
        name: 'Shoe Shop',
        role: 'SELLER',
        businessNumber: '123-45-67890',
        introduction: 'We sell shoes',
      });
      const adminBody = () => ({ email: uniqueEmail('admin2'), password: PASSWORD, name: 'Second Admin', role: 'ADMIN', adminCode: 'OPS-7' });

      it('lets an ADMIN create a SELLER: 201 with businessNumber, and the seller can log in', async function () {
        const body = sellerBody();
        const res = await t.api.post(USERS, body, { token: t.admin.token });

        expect(res.status).to.equal(201);
        expectUser(res.body, PASSWORD);
        expect(res.body).to.include({
          email: body.email,
          name: 'Shoe Shop',
          role: 'SELLER',
          businessNumber: '123-45-67890',
          introduction: 'We sell shoes',
        });
        expect(res.body).not.to.have.property('adminCode');
        const token = await t.logIn(body.email, PASSWORD);
        expect((await t.api.get(ME, { token })).body).to.deep.equal(res.body);
      });

      it('lets an ADMIN create an ADMIN: 201 with adminCode', async function () {
        const body = adminBody();
        const res = await t.api.post(USERS, body, { token: t.admin.token });

        expect(res.status).to.equal(201);
        expectUser(res.body, PASSWORD);
        expect(res.body).to.include({ email: body.email, role: 'ADMIN', adminCode: 'OPS-7' });
        expect(res.body).not.to.have.property('businessNumber');
      });

      it('answers 400 naming businessNumber for a SELLER without one', async function () {
        const { businessNumber: _omitted, ...body } = sellerBody();
        expectValidation(await t.api.post(USERS, body, { token: t.admin.token }), USERS, 'businessNumber');
      });

      for (const bad of ['1234567890', '123-456-7890', '12-345-67890', '123-45-6789a', '123 45 67890']) {
        it(`answers 400 naming businessNumber for the badly formed "${bad}"`, async function () {
          const res = await t.api.post(USERS, { ...sellerBody(), businessNumber: bad }, { token: t.admin.token });
          expectValidation(res, USERS, 'businessNumber');
        });
      }

      it('answers 400 naming adminCode for an ADMIN without one', async function () {
        const { adminCode: _omitted, ...body } = adminBody();
        expectValidation(await t.api.post(USERS, body, { token: t.admin.token }), USERS, 'adminCode');
      });

      it('answers 400 naming an unknown field, and naming a password shorter than 8 characters', async function () {
        expectValidation(await t.api.post(USERS, { ...adminBody(), nickname: 'typo' }, { token: t.admin.token }), USERS, 'nickname');
        expectValidation(await t.api.post(USERS, { ...adminBody(), password: 'seven77' }, { token: t.admin.token }), USERS, 'password');
      });

      it('trims surrounding white space from the e-mail, as sign-up does', async function () {
        const body = adminBody();
        const res = await t.api.post(USERS, { ...body, email: `  ${body.email}\t` }, { token: t.admin.token });
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body.email).to.equal(body.email);
        expect((await t.api.post(LOGIN, { email: body.email, password: PASSWORD })).status).to.equal(200);
      });

      // Issue 11: a role's own field sent with another role was dropped without a word.
      const strayFields = [
        ['BUYER', { adminCode: 'OPS-7' }, 'adminCode'],
        ['BUYER', { businessNumber: '123-45-67890' }, 'businessNumber'],
        ['BUYER', { introduction: 'Hello' }, 'introduction'],
        ['SELLER', { businessNumber: '123-45-67890', adminCode: 'OPS-7' }, 'adminCode'],
        ['ADMIN', { adminCode: 'OPS-7', businessNumber: '123-45-67890' }, 'businessNumber'],
      ] as const;
      for (const [role, fields, stray] of strayFields) {
        it(`answers 400 naming ${stray} for ${role === 'ADMIN' ? 'an' : 'a'} ${role} given one, instead of dropping it, and creates nothing`, async function () {
          const body: Record<string, unknown> = { email: uniqueEmail('stray'), password: PASSWORD, name: 'Stray', role, ...fields };
          const res = await t.api.post(USERS, body, { token: t.admin.token });

          expectValidation(res, USERS, stray);
          expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal([stray]);
          // Without the stray field the same account is created: nothing was before.
          delete body[stray];
          const created = await t.api.post(USERS, body, { token: t.admin.token });
          expect(created.status, JSON.stringify(created.body)).to.equal(201);
          expect(created.body).not.to.have.property(stray);
        });
      }

      it('creates a BUYER with none of the role fields (201), and an ADMIN keeps an introduction', async function () {
        const buyer = await t.api.post(USERS, { email: uniqueEmail('buyer'), password: PASSWORD, name: 'Buyer', role: 'BUYER' }, { token: t.admin.token });
        expect(buyer.status, JSON.stringify(buyer.body)).to.equal(201);
        expect(buyer.body).to.include({ role: 'BUYER' });
        expect(buyer.body).not.to.have.any.keys('businessNumber', 'adminCode', 'introduction');
        const admin = await t.api.post(USERS, { ...adminBody(), introduction: 'Runs the shop' }, { token: t.admin.token });
        expect(admin.status, JSON.stringify(admin.body)).to.equal(201);
        expect(admin.body).to.include({ role: 'ADMIN', adminCode: 'OPS-7', introduction: 'Runs the shop' });
      });

      it('answers 409 EMAIL_TAKEN for an e-mail already registered, in another case', async function () {
        const buyer = await t.newBuyer();
        const res = await t.api.post(USERS, { ...sellerBody(), email: buyer.email.toUpperCase() }, { token: t.admin.token });
        expectProblem(res, 409, 'EMAIL_TAKEN', USERS);
      });

      it('answers 400 naming role for a role that does not exist', async function () {
        const res = await t.api.post(USERS, { ...adminBody(), role: 'ROOT' }, { token: t.admin.token });
        expectValidation(res, USERS, 'role');
      });

      it('answers 403 FORBIDDEN to a BUYER with a valid body (SELLER or ADMIN), and creates nothing', async function () {
        const buyer = await t.newBuyer();
        const seller = sellerBody();
        expectProblem(await t.api.post(USERS, seller, { token: buyer.token }), 403, 'FORBIDDEN', USERS);
        expectProblem(await t.api.post(USERS, adminBody(), { token: buyer.token }), 403, 'FORBIDDEN', USERS);
        // Nothing was created: the e-mail is still free.
        expect((await t.api.post(USERS, seller, { token: t.admin.token })).status).to.equal(201);
      });

      it('answers 403 FORBIDDEN to a SELLER too', async function () {
        const seller = await t.newAccount('SELLER');
        expectProblem(await t.api.post(USERS, adminBody(), { token: seller.token }), 403, 'FORBIDDEN', USERS);
      });

      it('checks shape before permission: a BUYER sending a malformed body gets 400, not 403 (API.md order of checks)', async function () {
        const buyer = await t.newBuyer();
        expectValidation(await t.api.post(USERS, { role: 'ADMIN' }, { token: buyer.token }), USERS, 'email');
      });

      it('answers 401 without a token, whatever the body', async function () {
        expectProblem(await t.api.post(USERS, adminBody()), 401, 'UNAUTHENTICATED', USERS);
        expectProblem(await t.api.post(USERS, { role: 'nonsense' }), 401, 'UNAUTHENTICATED', USERS);
      });

      it('replays the first answer for the same Idempotency-Key and body, creating one account', async function () {
        const body = sellerBody();
        const headers = { 'Idempotency-Key': `create-seller-${body.email}` };
        const first = await t.api.post(USERS, body, { token: t.admin.token, headers });
        const second = await t.api.post(USERS, body, { token: t.admin.token, headers });

        expect(first.status).to.equal(201);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
      });
    });
  });
}

describe('e2e: token lifetime from JWT_LIFETIME_SECONDS', function () {
  let t: TestService;

  before(async function () {
    t = await startTestService({ env: { JWT_LIFETIME_SECONDS: '1' } });
  });
  after(async function () {
    await t?.stop();
  });

  it('login answers expiresIn 1, and the real token is refused with 401 once it has expired', async function () {
    this.timeout(10_000);
    const buyer = await t.newBuyer();
    const login = await t.api.post(LOGIN, { email: buyer.email, password: buyer.password });
    expect(login.status).to.equal(200);
    expect(login.body.expiresIn).to.equal(1);
    const token = login.body.accessToken as string;

    await new Promise((resolve) => setTimeout(resolve, 2_100));

    expectProblem(await t.api.get(ME, { token }), 401, 'UNAUTHENTICATED', ME);
  });
});

/** The served document's request schema `name`, as the walker built it from the joi schema. */
function requestSchema(name: string): { properties: Record<string, { format?: string; pattern?: string; description?: string }>; description?: string } {
  return (openApiDocument.components as { schemas: Record<string, never> }).schemas[name];
}

describe('e2e: the document says what the account routes do (issue 11)', function () {
  it('e-mails: `idn-email` (Unicode addresses are taken), surrounding white space trimmed, on sign-up, login and POST /users', function () {
    for (const name of ['SignUpRequest', 'CreateUserRequest']) {
      const email = requestSchema(name).properties['email']!;
      expect(email.format, name).to.equal('idn-email');
      expect(email.description, name).to.match(/ü@example\.com/).and.to.match(/Surrounding white space is trimmed/).and.to.match(/case-insensitively/);
    }
    expect(requestSchema('LoginRequest').properties['email']!.description).to.match(/Surrounding white space is trimmed/);
    const user = (openApiDocument.components as { schemas: Record<string, { properties: Record<string, { format?: string }> }> }).schemas['User']!;
    expect(user.properties['email']!.format).to.equal('idn-email');
  });

  it('names: must not be blank (pattern \\S), trimmed', function () {
    for (const name of ['SignUpRequest', 'CreateUserRequest']) {
      const field = requestSchema(name).properties['name']!;
      expect(field.pattern, name).to.equal('\\S');
      expect(field.description, name).to.equal('Must not be blank; surrounding white space is trimmed.');
    }
  });

  it('every operation that checks or hashes a password documents the busy 503 with Retry-After, and keeps the database one', function () {
    const paths = openApiDocument.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    for (const [path, method] of [
      ['/api/v1/auth/signup', 'post'],
      ['/api/v1/auth/login', 'post'],
      ['/api/v1/users', 'post'],
      ['/api/v1/users/me/password', 'put'],
    ] as const) {
      const unavailable = paths[path]![method]!.responses['503'] as { headers: Record<string, unknown>; content: Record<string, { examples: Record<string, unknown> }> };
      expect(Object.keys(unavailable.content['application/problem+json']!.examples), path).to.have.members(['UNAVAILABLE (database)', 'UNAVAILABLE (busy checking passwords)']);
      expect(unavailable.headers, path).to.have.property('Retry-After');
    }
  });

  it("POST /users: each role's field is refused with any other role, and an introduction with BUYER", function () {
    const schema = requestSchema('CreateUserRequest');
    expect(schema.properties['businessNumber']!.description).to.include('When `role` is `SELLER`: required. Otherwise: not allowed.');
    expect(schema.properties['adminCode']!.description).to.include('When `role` is `ADMIN`: required. Otherwise: not allowed.');
    expect(schema.properties['introduction']!.description).to.include('When `role` is `BUYER`: not allowed.');
  });
});
