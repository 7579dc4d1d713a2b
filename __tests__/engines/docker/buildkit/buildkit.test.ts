/** The BuildKit pieces that need no daemon: protobuf fields, trace lines, the secret cache key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesField, decodeMessage, stringOf, varintField } from '../../../../src/engines/docker/buildkit/protobuf.ts';
import { TraceLines } from '../../../../src/engines/docker/buildkit/trace.ts';
import { withSecretCacheKey } from '../../../../src/engines/docker/buildkit/build.ts';

test('protobuf: length-delimited and varint fields round-trip; unknown fields are kept in order', () => {
  const message = Buffer.concat([bytesField(1, 'MAD_SECRETS_X'), varintField(3, 300), bytesField(2, Buffer.alloc(200, 1))]);
  const fields = decodeMessage(message);
  assert.equal(stringOf(fields, 1), 'MAD_SECRETS_X');
  assert.equal(fields[1]!.number, 300n);
  assert.equal(fields[2]!.bytes!.length, 200);
  assert.throws(() => decodeMessage(message.subarray(0, message.length - 1)), /truncated/);
});

test('trace events become numbered plain-progress lines, logs split into lines across events', () => {
  const vertex = (digest: string, name: string, extra: Buffer[] = []) => bytesField(1, Buffer.concat([bytesField(1, digest), bytesField(3, name), ...extra]));
  const log = (digest: string, text: string) => bytesField(3, Buffer.concat([bytesField(1, digest), bytesField(4, text)]));
  const trace = new TraceLines();
  const b64 = (...parts: Buffer[]) => Buffer.concat(parts).toString('base64');
  assert.deepEqual(trace.lines(b64(vertex('sha256:a', '[1/2] FROM base'), vertex('sha256:b', '[2/2] RUN make'))), ['#1 [1/2] FROM base', '#2 [2/2] RUN make']);
  assert.deepEqual(trace.lines(b64(log('sha256:b', 'hello\nwor'))), ['#2 hello']);
  assert.deepEqual(trace.lines(b64(vertex('sha256:b', '[2/2] RUN make', [bytesField(6, Buffer.from([8, 1]))]))), ['#2 wor', '#2 DONE']);
  assert.deepEqual(trace.lines(b64(vertex('sha256:a', '[1/2] FROM base', [bytesField(7, 'boom')]))), ['#1 ERROR: boom']);
});

test('the secret cache key ARG goes right before each secret-mount RUN, continuations included', () => {
  const dockerfileText = 'FROM x\nRUN echo a\nRUN --mount=type=secret,id=S \\\n  cat /run/secrets/S\nFROM y\nRUN --mount=type=secret,id=T true\n';
  const keyed = withSecretCacheKey({ contextDir: '/c', files: [], dockerfileName: 'Dockerfile', dockerfileText });
  assert.equal(
    keyed.dockerfileText,
    'FROM x\nRUN echo a\nARG MADENGINE_SECRETS_FINGERPRINT\nRUN --mount=type=secret,id=S \\\n  cat /run/secrets/S\nFROM y\nARG MADENGINE_SECRETS_FINGERPRINT\nRUN --mount=type=secret,id=T true\n',
  );
  assert.match(keyed.dockerfileName, /^\.madengine\.Dockerfile\.[0-9a-f]{12}$/);
});
