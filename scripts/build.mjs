// Bundles each entry point into one self-contained ESM file under dist/ (esbuild; see README "Development"),
// and writes dist/THIRD_PARTY_NOTICES.md: the licences of the npm packages the bundles contain.
// Usage: node scripts/build.mjs [--check]   (--check: build to a temp dir and fail if dist/ differs)
import { build } from 'esbuild';
import { mkdtemp, readdir, readFile, rm, mkdir, cp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export const NOTICES_FILE = 'THIRD_PARTY_NOTICES.md';

/**
 * entry (relative to src/) -> output (relative to dist/): the CLI, and every action folder's entry
 * `src/actions/<name>/index.ts` -> `dist/<name>/index.mjs`. The root action.yml runs the run-local bundle.
 */
export const bundles = {
  'cli/bin.ts': 'cli/madengine.mjs',
};
const actionsDir = path.join(root, 'src/actions');
for (const entry of existsSync(actionsDir) ? (await readdir(actionsDir, { withFileTypes: true })).sort((a, b) => cmp(a.name, b.name)) : []) {
  if (entry.isDirectory() && existsSync(path.join(actionsDir, entry.name, 'index.ts'))) bundles[`actions/${entry.name}/index.ts`] = `${entry.name}/index.mjs`;
}
{
  // One output file per entry, so no bundle is written over another.
  const outputs = Object.values(bundles);
  const twice = outputs.filter((out, i) => outputs.indexOf(out) !== i);
  if (twice.length) throw new Error(`scripts/build.mjs: more than one entry builds ${twice.map((out) => `dist/${out}`).join(', ')}`);
}

// ESM output still meets CommonJS dependencies that call require()/__dirname: give them real ones.
const banner = [
  "import { createRequire as __madCreateRequire } from 'node:module';",
  "import { fileURLToPath as __madFileURLToPath } from 'node:url';",
  "import { dirname as __madDirname } from 'node:path';",
  'const require = __madCreateRequire(import.meta.url);',
  'const __filename = __madFileURLToPath(import.meta.url);',
  'const __dirname = __madDirname(__filename);',
].join('\n');

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function bundleInto(outdir) {
  const version = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).version;
  const results = await Promise.all(
    Object.entries(bundles).map(async ([entry, out]) => {
      const result = await build({
        absWorkingDir: root,
        entryPoints: [path.join(root, 'src', entry)],
        outfile: path.join(outdir, out),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        minify: true,
        keepNames: true,
        // Licence comments are stripped from the bundles; dist/THIRD_PARTY_NOTICES.md carries them in full.
        legalComments: 'none',
        metafile: true,
        banner: { js: banner },
        define: { __MADENGINE_VERSION__: JSON.stringify(version) },
        loader: { '.py': 'text', '.njk': 'text' },
        // Optional native add-ons of ssh2 (via docker-modem); their require() sits in try/catch.
        external: ['cpu-features', '*.node'],
        logLevel: 'warning',
      });
      return { out, inputs: Object.keys(result.metafile.inputs) };
    }),
  );
  await writeFile(path.join(outdir, NOTICES_FILE), await thirdPartyNotices(results));
  await assertNoDuplicateFiles(outdir);
}

/** Two identical files in dist/ mean one bundle shipped twice: point the action.yml at the one bundle instead. */
async function assertNoDuplicateFiles(outdir) {
  const seen = new Map();
  for (const file of await listFiles(outdir)) {
    const content = (await readFile(path.join(outdir, file))).toString('base64');
    if (seen.has(content)) throw new Error(`scripts/build.mjs: dist/${file} is identical to dist/${seen.get(content)}; no bundle may be emitted twice`);
    seen.set(content, file);
  }
}

// ---------------------------------------------------------------- third-party notices

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.\-_].*)?$/i;

/**
 * The package an esbuild input (a path relative to the repository, possibly behind a namespace such as
 * `(disabled):`) comes from: the nearest package.json above it with a name and a version, not above the
 * node_modules folder that holds it (so node_modules/x/node_modules/y resolves to y, and folders inside a
 * package with a package.json of their own, such as `{"type": "module"}`, are passed by).
 */
async function packageOf(input, cache) {
  const file = input.replace(/^\(?[\w-]+\)?:/, '');
  const at = file.lastIndexOf('node_modules/');
  if (at === -1) return undefined;
  const boundary = path.join(root, file.slice(0, at + 'node_modules'.length));
  for (let dir = path.dirname(path.join(root, file)); dir.startsWith(boundary + path.sep); dir = path.dirname(dir)) {
    if (cache.has(dir)) {
      if (cache.get(dir)) return cache.get(dir);
      continue;
    }
    let manifest;
    try {
      manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      manifest = undefined;
    }
    const pkg = manifest && typeof manifest.name === 'string' && typeof manifest.version === 'string' ? { dir, manifest } : null;
    cache.set(dir, pkg);
    if (pkg) return pkg;
  }
  throw new Error(`scripts/build.mjs: no package.json with a name and version above ${file} (inside ${path.relative(root, boundary)})`);
}

function licenceOf(manifest) {
  const { license, licenses } = manifest;
  if (typeof license === 'string' && license.trim()) return license.trim();
  if (license && typeof license.type === 'string') return license.type;
  if (Array.isArray(licenses) && licenses.length)
    return (
      licenses
        .map((l) => (typeof l === 'string' ? l : l?.type))
        .filter(Boolean)
        .join(' OR ') || 'not stated'
    );
  return 'not stated';
}

function repositoryOf(manifest) {
  const repo = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  return typeof repo === 'string' && repo ? repo.replace(/^git\+/, '') : undefined;
}

/** A code fence longer than any run of backticks in the text, so licence texts are shown verbatim. */
function fenced(text) {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}

async function thirdPartyNotices(results) {
  const cache = new Map();
  /** `name@version` -> { name, version, dir, manifest, bundles } */
  const packages = new Map();
  for (const { out, inputs } of results) {
    for (const input of inputs) {
      const pkg = await packageOf(input, cache);
      if (!pkg) continue;
      const key = `${pkg.manifest.name}@${pkg.manifest.version}`;
      const known = packages.get(key);
      // The same name@version installed twice: the first location in path order speaks for both.
      if (!known) packages.set(key, { ...pkg, bundles: new Set([out]) });
      else {
        known.bundles.add(out);
        if (cmp(pkg.dir, known.dir) < 0) Object.assign(known, { dir: pkg.dir, manifest: pkg.manifest });
      }
    }
  }
  const sorted = [...packages.values()].sort((a, b) => cmp(a.manifest.name, b.manifest.name) || cmp(a.manifest.version, b.manifest.version));
  const lines = [
    '# Third-party notices',
    '',
    'The bundles in this folder contain code of the npm packages listed below, each under its own licence.',
    'This file is generated by `scripts/build.mjs` from what esbuild put into each bundle; do not edit it.',
    '',
    '| Package | Version | Licence |',
    '|---|---|---|',
    ...sorted.map((p) => `| ${p.manifest.name} | ${p.manifest.version} | ${licenceOf(p.manifest).replace(/\|/g, '\\|')} |`),
  ];
  for (const p of sorted) {
    const files = (await readdir(p.dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && LICENCE_FILE.test(e.name))
      .map((e) => e.name)
      .sort(cmp);
    const repo = repositoryOf(p.manifest);
    lines.push(
      '',
      `## ${p.manifest.name} ${p.manifest.version}`,
      '',
      `- Licence: ${licenceOf(p.manifest)}`,
      ...(repo ? [`- Repository: ${repo}`] : []),
      `- In: ${[...p.bundles]
        .sort(cmp)
        .map((out) => `\`${out}\``)
        .join(', ')}`,
    );
    if (!files.length) lines.push('', 'No licence file shipped with the package.');
    for (const name of files) {
      const text = (await readFile(path.join(p.dir, name), 'utf8')).replace(/\r\n?/g, '\n').replace(/\s+$/, '');
      lines.push('', `### ${name}`, '', fenced(text));
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- dist/ and --check

async function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort(cmp);
}

const dist = path.join(root, 'dist');
if (process.argv.includes('--check')) {
  const temp = await mkdtemp(path.join(tmpdir(), 'madengine-dist-'));
  try {
    await bundleInto(temp);
    const [want, have] = [await listFiles(temp), await listFiles(dist)];
    const problems = [];
    for (const file of [...new Set([...want, ...have])].sort(cmp)) {
      if (!want.includes(file)) problems.push(`dist/${file} is stale (no source builds it)`);
      else if (!have.includes(file)) problems.push(`dist/${file} is missing`);
      else if (!(await readFile(path.join(temp, file))).equals(await readFile(path.join(dist, file)))) problems.push(`dist/${file} differs from a fresh build`);
    }
    if (problems.length) {
      console.error(`dist/ does not match the source; run 'npm run build' and commit dist/:\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`dist/ matches the source (${want.length} files)`);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
} else {
  const temp = await mkdtemp(path.join(tmpdir(), 'madengine-dist-'));
  await bundleInto(temp);
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  await cp(temp, dist, { recursive: true });
  await rm(temp, { recursive: true, force: true });
  console.log(`built ${Object.keys(bundles).length} bundle(s) and ${NOTICES_FILE} into dist/`);
}
