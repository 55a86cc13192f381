import { expect } from 'chai';
import { problemOfClientError } from '../../../src/adapters/http/problem.js';

describe('problemOfClientError: a library\'s 4xx error is never a 500', () => {
  const INSTANCE = '/api/v1/products/%FF';

  it('the router\'s URIError with status 400 is VALIDATION_FAILED with errors, quoting nothing of the input', () => {
    const error = Object.assign(new URIError("Failed to decode param '%FF'"), { status: 400, statusCode: 400 });
    const problem = problemOfClientError(error, INSTANCE);
    expect(problem).to.include({ status: 400, code: 'VALIDATION_FAILED', instance: INSTANCE });
    expect(problem?.errors).to.deep.equal([{ field: 'request', message: 'is malformed' }]);
    expect(JSON.stringify(problem)).not.to.include('%FF\'');
  });

  it('statuses with a code of their own keep it; any other 4xx is a 400 shape problem', () => {
    expect(problemOfClientError({ status: 413, type: 'entity.too.large' }, INSTANCE)).to.include({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(problemOfClientError({ statusCode: 415 }, INSTANCE)).to.include({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(problemOfClientError({ status: 404 }, INSTANCE)).to.include({ status: 404, code: 'NOT_FOUND' });
    expect(problemOfClientError({ status: 405 }, INSTANCE)).to.include({ status: 400, code: 'VALIDATION_FAILED' });
    expect(problemOfClientError({ status: 431 }, INSTANCE)).to.include({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('anything without a 4xx status is not its business (the caller answers 500 or 503)', () => {
    for (const error of [new Error('boom'), { status: 500 }, { status: '400' }, { status: 399 }, null, 'text', 42]) {
      expect(problemOfClientError(error, INSTANCE)).to.equal(null);
    }
  });
});
