import { expect } from 'chai';
import { createLogger } from '../../../src/infrastructure/logger.js';
import { redactCredentialsIn, redactUrl } from '../../../src/infrastructure/redact-url.js';
import { writtenToStdout } from '../../support/stdout.js';

describe('redactUrl (URLs as the banner and the logs show them)', () => {
  it('hides the password of a Redis URL, with or without a user name', () => {
    expect(redactUrl('redis://:s3cret@cache.internal:6379')).to.equal('redis://:***@cache.internal:6379');
    expect(redactUrl('rediss://app:s3cret@cache.internal:6380/2')).to.equal('rediss://app:***@cache.internal:6380/2');
  });

  it('hides the password of a database URL and keeps the user, host and database', () => {
    expect(redactUrl('postgres://shop:s3cret@db.internal:5432/shop')).to.equal('postgres://shop:***@db.internal:5432/shop');
  });

  it('hides the password and secret-looking query values of a data platform URL', () => {
    const shown = redactUrl('https://relay:s3cret@platform.example/events?api_key=k3y&token=t0k&stream=orders');
    expect(shown).to.equal('https://relay:***@platform.example/events?api_key=***&token=***&stream=orders');
    expect(shown).not.to.match(/s3cret|k3y|t0k/);
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).to.equal('redis://127.0.0.1:6379');
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/orders')).to.equal('postgres://postgres@127.0.0.1:5432/orders');
  });

  it('shows nothing of a value that is not a URL (it might be a secret in the wrong variable)', () => {
    expect(redactUrl('s3cret')).to.equal('[unparseable URL]');
    expect(redactUrl('s3cret', 'PostgreSQL')).to.equal('PostgreSQL');
  });
});

describe('redactCredentialsIn (free text: error messages, log lines)', () => {
  it('hides every URL password in a text and keeps the rest', () => {
    const text = 'connect to redis://:a1@r1:6379 failed; fallback postgres://u:b2@db/x; see https://docs.example/page';
    expect(redactCredentialsIn(text)).to.equal(
      'connect to redis://:***@r1:6379 failed; fallback postgres://u:***@db/x; see https://docs.example/page',
    );
  });
});

describe('the logger shows no URL password', () => {
  it('in the message or in any field, however deep', () => {
    // The logger writes its lines to stdout (close() writes what it holds).
    const output = writtenToStdout(() => {
      const logger = createLogger('info');
      logger.warn('Redis redis://:s3cret-a@cache:6379 unavailable', {
        error: 'connect failed for postgres://shop:s3cret-b@db/shop',
        nested: { urls: ['https://relay:s3cret-c@platform.example/events'] },
      });
      logger.close();
    });
    expect(output).to.include('redis://:***@cache:6379');
    expect(output).to.include('postgres://shop:***@db/shop');
    expect(output).to.include('https://relay:***@platform.example/events');
    expect(output).not.to.match(/s3cret/);
  });
});
