import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, access } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireLock, LockBusyError, type LockHolder } from '../../../src/core/util/file-lock.ts';

const lockModule = fileURLToPath(new URL('../../../src/core/util/file-lock.ts', import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'file-lock-'));
}

/** Runs a TypeScript snippet in a child Node process (tsx), resolving with its exit code. */
function runChild(code: string, args: string[] = []): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (status) => resolve(status));
  });
}

test('a second acquirer waits for the holder and fails with the holder named when it does not release', async () => {
  const dir = await tempDir();
  const lockPath = path.join(dir, 'x.lock');
  const lock = await acquireLock(lockPath, { data: { offset: 12 } });
  const record = JSON.parse(await readFile(lockPath, 'utf8')) as LockHolder;
  assert.equal(record.pid, process.pid);
  assert.deepEqual(record.data, { offset: 12 });
  await assert.rejects(acquireLock(lockPath, { waitMs: 0, guards: 'perf CSV x.csv' }), (error: unknown) => {
    assert.ok(error instanceof LockBusyError);
    assert.match(error.message, new RegExp(`perf CSV x.csv is locked by process ${process.pid} on `));
    return true;
  });
  await lock.release();
  await assert.rejects(access(lockPath));
  const again = await acquireLock(lockPath, { waitMs: 0 });
  await again.release();
  await again.release(); // twice is harmless
});

test('a lock left by a killed process is broken once, after onStale saw its record', async () => {
  const dir = await tempDir();
  const lockPath = path.join(dir, 'x.lock');
  // The child takes the lock, records an offset, and dies without releasing (as kill -9 would leave it).
  const status = await runChild(
    `import { acquireLock } from ${JSON.stringify(lockModule)};
     const lock = await acquireLock(process.argv[1]);
     await lock.update({ offset: 42 });
     process.kill(process.pid, 'SIGKILL');`,
    [lockPath],
  );
  assert.equal(status, null);
  const seen: (LockHolder | undefined)[] = [];
  const lock = await acquireLock(lockPath, { waitMs: 0, onStale: async (holder) => void seen.push(holder) });
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0]?.data, { offset: 42 });
  assert.equal(seen[0]?.host, hostname());
  assert.notEqual(seen[0]?.pid, process.pid);
  await lock.release();
});

test('a lock held by a live process on another host is never broken', async () => {
  const dir = await tempDir();
  const lockPath = path.join(dir, 'x.lock');
  await writeFile(lockPath, JSON.stringify({ pid: 999_999_999, host: `not-${hostname()}`, started: '2026-01-01T00:00:00Z', token: 'abc' }));
  let broken = false;
  await assert.rejects(
    acquireLock(lockPath, {
      waitMs: 0,
      onStale: async () => {
        broken = true;
      },
    }),
    LockBusyError,
  );
  assert.equal(broken, false);
});

test('processes incrementing a counter under the lock never lose an update', async () => {
  const dir = await tempDir();
  const lockPath = path.join(dir, 'counter.lock');
  const counter = path.join(dir, 'counter');
  await writeFile(counter, '0');
  const worker = `import { acquireLock } from ${JSON.stringify(lockModule)};
    import { readFile, writeFile } from 'node:fs/promises';
    const [lockPath, counter] = process.argv.slice(1);
    for (let i = 0; i < 20; i++) {
      const lock = await acquireLock(lockPath, { pollMs: 1 });
      const value = Number(await readFile(counter, 'utf8'));
      await new Promise((r) => setImmediate(r));
      await writeFile(counter, String(value + 1));
      await lock.release();
    }`;
  const statuses = await Promise.all([1, 2, 3, 4].map(() => runChild(worker, [lockPath, counter])));
  assert.deepEqual(statuses, [0, 0, 0, 0]);
  assert.equal(await readFile(counter, 'utf8'), '80');
});
