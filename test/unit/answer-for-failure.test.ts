import { answerForFailure, problems, type Answer } from '../../src/http/answers';
import { StoreUnavailableError } from '../../src/ipn/ports';

// What an exception on the way to an answer becomes (the body reader's failures carry a `type`).

const errorOf = (status: number, ErrorCode: string, Message: string) => ({
  status,
  body: { kind: 'error', dto: { ResponseStatus: { ErrorCode, Message, Errors: [] } } },
  headers: undefined,
});

function messageOf(answer: Answer): string {
  if (!('body' in answer) || answer.body.kind !== 'error') throw new Error('not an error answer');
  return answer.body.dto.ResponseStatus.Message;
}

describe('answerForFailure', () => {
  test('a store that cannot write: 503 ServiceUnavailable, retry later', () => {
    expect(answerForFailure(new StoreUnavailableError('disk full'), 65_536)).toEqual(
      errorOf(503, 'ServiceUnavailable', 'The callback could not be stored; retry later'),
    );
  });

  test('a body over the limit: 413 naming the limit in bytes', () => {
    expect(answerForFailure({ type: 'entity.too.large' }, 65_536)).toEqual(errorOf(413, 'PayloadTooLarge', 'The request body is larger than 65536 bytes'));
  });

  test.each(['request.aborted', 'request.size.invalid'])('a body cut short (%s): 400 SerializationException', (type) => {
    expect(answerForFailure({ type }, 65_536)).toEqual(
      errorOf(400, 'SerializationException', "Could not deserialize 'request' request using QvicklyCheckoutIpnCallBack\nError: the body ended before its Content-Length"),
    );
  });

  test.each([new Error('boom'), { type: 'stream.encoding.unsupported' }, null, undefined])('anything else (%p): 500, no detail', (failure) => {
    expect(answerForFailure(failure, 65_536)).toEqual(errorOf(500, 'InternalServerError', 'The callback could not be processed'));
  });
});

describe('problems', () => {
  test('a media type echoed in a 400 is cut to 200 characters and an ellipsis', () => {
    const long = `application/${'x'.repeat(300)}`;
    const message = messageOf(problems.undeserializable(long, 'detail'));
    expect(message).toBe(`Could not deserialize '${long.slice(0, 200)}…' request using QvicklyCheckoutIpnCallBack\nError: detail`);
  });

  test('a media type of exactly 200 characters is echoed whole', () => {
    const exact = `text/${'y'.repeat(195)}`;
    const message = messageOf(problems.undeserializable(exact, 'd'));
    expect(message).toBe(`Could not deserialize '${exact}' request using QvicklyCheckoutIpnCallBack\nError: d`);
  });

  test('the reference not built yet: 404 saying how to build it', () => {
    expect(problems.referenceNotBuilt()).toEqual(errorOf(404, 'NotFound', 'The reference has not been built; run npm run build'));
  });
});
