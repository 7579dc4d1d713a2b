/**
 * The build context as the Docker daemon will see it: the files of the context directory
 * that .dockerignore lets through, plus the Dockerfile. The same walk feeds the content
 * hash (so "unchanged inputs" means exactly what the daemon would get) and the tar stream.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';
import { BuildError } from '../../core/errors.ts';

// The package is CommonJS (module.exports = factory) but its types declare a default export.
const createIgnore = ((dockerignore as unknown as { default?: typeof dockerignore }).default ?? dockerignore) as unknown as () => Ignore;

export interface ContextFile {
  /** Path inside the context, posix separators. */
  name: string;
  absolute: string;
  kind: 'file' | 'symlink';
  mode: number;
  size: number;
  linkTarget?: string;
}

export interface BuildContext {
  contextDir: string;
  files: ContextFile[];
  /** The Dockerfile's name inside the tar (it is added under a private name when it lives outside the context). */
  dockerfileName: string;
  dockerfileText: string;
}

export async function collectBuildContext(contextDir: string, dockerfilePath: string): Promise<BuildContext> {
  const contextStat = await lstat(contextDir).catch(() => undefined);
  if (!contextStat?.isDirectory()) throw new BuildError(`build context directory ${contextDir} does not exist`);
  let dockerfileText: string;
  try {
    dockerfileText = await readFile(dockerfilePath, 'utf8');
  } catch {
    throw new BuildError(`Dockerfile ${dockerfilePath} cannot be read`);
  }
  const ignoreText = await readFile(path.join(contextDir, '.dockerignore'), 'utf8').catch(() => '');
  const ignorer = createIgnore().add(ignoreText.split(/\r?\n/).filter((line) => line.trim() && !line.trim().startsWith('#')));
  const files: ContextFile[] = [];
  await walk(contextDir, '', ignorer, files);
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const relative = path.relative(contextDir, dockerfilePath).split(path.sep).join('/');
  const inside = !relative.startsWith('../') && !path.isAbsolute(relative) && files.some((f) => f.name === relative);
  const dockerfileName = inside ? relative : `.madengine.Dockerfile.${createHash('sha256').update(dockerfileText).digest('hex').slice(0, 12)}`;
  return { contextDir, files, dockerfileName, dockerfileText };
}

async function walk(root: string, prefix: string, ignorer: Ignore, out: ContextFile[]): Promise<void> {
  const entries = await readdir(path.join(root, prefix), { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      // The daemon always receives .dockerignore and the Dockerfile; everything else obeys the ignore file.
      if (name !== '.dockerignore' && ignorer.ignores(name)) return;
      const absolute = path.join(root, name);
      const stat = await lstat(absolute);
      if (stat.isDirectory()) return walk(root, name, ignorer, out);
      if (stat.isSymbolicLink()) {
        out.push({ name, absolute, kind: 'symlink', mode: stat.mode & 0o7777, size: 0, linkTarget: await readlink(absolute) });
      } else if (stat.isFile()) {
        out.push({ name, absolute, kind: 'file', mode: stat.mode & 0o7777, size: stat.size });
      }
    }),
  );
}

/**
 * sha256 over everything that determines the image: Dockerfile text, every context file's
 * name, mode and content, build args (names and values) and extra inputs (e.g. secret NAMES).
 */
export async function hashBuildInputs(context: BuildContext, buildArgs: Record<string, string>, extra: readonly string[] = []): Promise<string> {
  const hash = createHash('sha256');
  const field = (value: string): void => {
    hash.update(`${Buffer.byteLength(value)}:`);
    hash.update(value);
  };
  field('madengine-build-v1');
  field(context.dockerfileText);
  for (const file of context.files) {
    field(`${file.kind} ${file.name} ${file.mode.toString(8)}`);
    if (file.kind === 'symlink') field(file.linkTarget ?? '');
    else {
      hash.update(`${file.size}:`);
      for await (const chunk of createReadStream(file.absolute)) hash.update(chunk as Buffer);
    }
  }
  for (const key of Object.keys(buildArgs).sort()) field(`arg ${key}=${buildArgs[key]}`);
  for (const item of extra) field(`extra ${item}`);
  return hash.digest('hex');
}

/** A tar stream of the context for the daemon's /build endpoint. */
export function packBuildContext(context: BuildContext): Readable {
  const pack = tarPack();
  void (async () => {
    try {
      for (const file of context.files) {
        if (file.kind === 'symlink') {
          await entry(pack, { name: file.name, type: 'symlink', linkname: file.linkTarget ?? '', mode: file.mode });
        } else {
          await entry(pack, { name: file.name, type: 'file', size: file.size, mode: file.mode }, file.absolute);
        }
      }
      if (!context.files.some((f) => f.name === context.dockerfileName)) {
        await entry(pack, { name: context.dockerfileName, type: 'file', mode: 0o644 }, Buffer.from(context.dockerfileText));
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  // streamx Readable; dockerode only pipes it.
  return pack as unknown as Readable;
}

function entry(pack: Pack, header: Partial<Header> & Pick<Header, 'name'>, source?: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (source === undefined || Buffer.isBuffer(source)) {
      pack.entry(header, source ?? '', (error) => (error ? reject(error) : resolve()));
      return;
    }
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    const stream = createReadStream(source);
    stream.on('error', reject);
    stream.pipe(sink);
  });
}

/**
 * madengine passes `--build-context tools=docker/common` (a BuildKit named context) when the hub has
 * docker/common. The Engine API's builder has no named contexts, but docker/common normally lies inside
 * the build context (./docker), so `COPY/ADD --from=tools <src>... <dst>` becomes `COPY common/<src>... <dst>`.
 * Anything else that needs the named context is an error that says so.
 */
const USES_TOOLS = /(?:--from=|[,\s]from=)tools\b/i;

export function withToolsContext(context: BuildContext, toolsDir: string): BuildContext {
  if (!USES_TOOLS.test(context.dockerfileText)) return context;
  const relative = path.relative(context.contextDir, toolsDir).split(path.sep).join('/');
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new BuildError(
      `the Dockerfile uses the build context 'tools' (${toolsDir}), which lies outside the build context ${context.contextDir}; the Engine API builder can only read files inside it`,
    );
  }
  const lines = context.dockerfileText.split('\n').map((line, index) => {
    if (!USES_TOOLS.test(line)) return line;
    const copy = /^(\s*(?:COPY|ADD)\s+)((?:--(?!from=)\S+\s+)*)--from=tools\s+((?:--\S+\s+)*)(.+)$/i.exec(line);
    if (!copy) {
      throw new BuildError(`Dockerfile line ${index + 1} uses the build context 'tools' in a way only BuildKit supports: ${line.trim()}`);
    }
    const [, instruction, before, after, rest] = copy;
    const words = rest!.trim().split(/\s+/);
    const destination = words.pop()!;
    const sources = words.map((source) => `${relative}/${source.replace(/^\.?\//, '')}`);
    return `${instruction}${before}${after}${[...sources, destination].join(' ')}`;
  });
  const dockerfileText = lines.join('\n');
  return { ...context, dockerfileText, dockerfileName: `.madengine.Dockerfile.${createHash('sha256').update(dockerfileText).digest('hex').slice(0, 12)}` };
}
