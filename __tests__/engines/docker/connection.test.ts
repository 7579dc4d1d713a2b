// Docker engine connection (src/engines/docker/connection.ts): endpoint resolution and the reachability check,
// against in-process fake engines on unix sockets (no daemon needed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, MadError } from '../../../src/core/errors.ts';
import { DEFAULT_DOCKER_HOST, connectDocker, dockerEndpointOf, ensureDocker, resolveDockerEndpoint } from '../../../src/engines/docker/connection.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mad-docker-conn-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveDockerEndpoint', () => {
  test('default socket when neither host nor DOCKER_HOST is given', () => {
    assert.deepEqual(resolveDockerEndpoint({ env: {} }), { options: { socketPath: '/var/run/docker.sock' }, display: DEFAULT_DOCKER_HOST });
  });

  test('DOCKER_HOST unix:// and a bare podman socket path', () => {
    assert.deepEqual(resolveDockerEndpoint({ env: { DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock' } }).options, {
      socketPath: '/run/user/1000/podman/podman.sock',
    });
    const bare = resolveDockerEndpoint({ host: '/run/podman/podman.sock', env: { DOCKER_HOST: 'tcp://ignored:1' } });
    assert.deepEqual(bare, { options: { socketPath: '/run/podman/podman.sock' }, display: 'unix:///run/podman/podman.sock' });
  });

  test('tcp:// is plain http unless TLS is asked for', () => {
    assert.deepEqual(resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://10.1.2.3:2375' } }), {
      options: { protocol: 'http', host: '10.1.2.3', port: '2375' },
      display: 'tcp://10.1.2.3:2375',
    });
    assert.equal(resolveDockerEndpoint({ host: 'tcp://h:2376', env: {} }).options.protocol, 'https');
    assert.equal(resolveDockerEndpoint({ host: 'tcp://h:1234', env: { DOCKER_TLS_VERIFY: '1' } }).options.protocol, 'https');
    assert.equal(resolveDockerEndpoint({ host: 'h:2375', env: {} }).display, 'tcp://h:2375');
  });

  test('TLS client certificates come from DOCKER_CERT_PATH', async () => {
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(path.join(dir, name), `${name}-content`);
    const { options } = resolveDockerEndpoint({ host: 'tcp://h:2376', env: { DOCKER_CERT_PATH: dir } });
    assert.equal(String(options.cert), 'cert.pem-content');
    assert.equal(String(options.key), 'key.pem-content');
    assert.throws(
      () => resolveDockerEndpoint({ host: 'tcp://h:2376', env: { DOCKER_CERT_PATH: path.join(dir, 'nope') } }),
      /DOCKER_CERT_PATH: cannot read .*ca\.pem/,
    );
  });

  test('invalid hosts are ConfigErrors listing the accepted forms', () => {
    for (const host of ['unix://relative.sock', 'ftp://h:1', 'tcp://']) {
      assert.throws(
        () => resolveDockerEndpoint({ host, env: {} }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(host),
      );
    }
  });
});

/** A minimal Docker-API engine on a unix socket. */
async function fakeEngine(socketPath: string, version: Record<string, unknown>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url?.endsWith('/_ping')) {
      res.end('OK');
    } else if (req.url?.endsWith('/version')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(version));
    } else {
      res.statusCode = 404;
      res.end('{"message":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

describe('ensureDocker', () => {
  test('reports version, API version and that dockerd is not podman', async () => {
    const socket = path.join(dir, 'dockerd.sock');
    const server = await fakeEngine(socket, { Version: '20.10.24', ApiVersion: '1.41', Components: [{ Name: 'Engine', Version: '20.10.24' }] });
    try {
      const docker = await connectDocker({ host: `unix://${socket}` });
      assert.equal(dockerEndpointOf(docker), `unix://${socket}`);
      assert.deepEqual(await ensureDocker(docker), { version: '20.10.24', apiVersion: '1.41', podman: false });
    } finally {
      server.close();
    }
  });

  test('recognises podman by its engine component', async () => {
    const socket = path.join(dir, 'podman.sock');
    const server = await fakeEngine(socket, { Version: '4.3.1', ApiVersion: '1.41', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] });
    try {
      assert.deepEqual(await ensureDocker(await connectDocker({ host: socket })), { version: '4.3.1', apiVersion: '1.41', podman: true });
    } finally {
      server.close();
    }
  });

  test('no engine: a MadError naming the endpoint, the cause and how to start one', async () => {
    const socket = path.join(dir, 'missing.sock');
    await assert.rejects(ensureDocker(await connectDocker({ host: `unix://${socket}` })), (error: unknown) => {
      assert.ok(error instanceof MadError);
      assert.match(error.message, new RegExp(`^no Docker daemon answers at unix://${socket.replace(/[.]/g, '\\.')}: .*ENOENT`));
      assert.match(error.message, /start dockerd/);
      assert.match(error.message, /set DOCKER_HOST/);
      assert.match(error.message, /podman system service/);
      return true;
    });
  });

  test('an engine that never answers times out with a clear reason', async () => {
    const socket = path.join(dir, 'silent.sock');
    const server = http.createServer(() => {
      // never responds
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      await assert.rejects(ensureDocker(await connectDocker({ host: socket }), { timeoutMs: 200 }), /no Docker daemon answers at .*: no answer within 200 ms/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
