// Bundles each entry point into one self-contained ESM file under dist/ (esbuild; see README "Development").
// Usage: node scripts/build.mjs [--check]   (--check: build to a temp dir and fail if dist/ differs)
import { build } from 'esbuild';
import { mkdtemp, readdir, readFile, rm, mkdir, cp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

/** entry (relative to src/) -> output (relative to dist/) */
export const bundles = {
  'cli/bin.ts': 'cli/madengine.mjs',
};
for (const file of existsSync(path.join(root, 'src/actions')) ? await readdir(path.join(root, 'src/actions')) : []) {
  if (file.endsWith('.ts')) bundles[`actions/${file}`] = `${file.replace(/\.ts$/, '')}/index.mjs`;
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

async function bundleInto(outdir) {
  const version = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).version;
  await Promise.all(
    Object.entries(bundles).map(([entry, out]) =>
      build({
        entryPoints: [path.join(root, 'src', entry)],
        outfile: path.join(outdir, out),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        minify: true,
        keepNames: true,
        legalComments: 'none',
        banner: { js: banner },
        define: { __MADENGINE_VERSION__: JSON.stringify(version) },
        // Optional native add-ons of ssh2 (via docker-modem); their require() sits in try/catch.
        external: ['cpu-features', '*.node'],
        loader: { '.py': 'text' },
        logLevel: 'warning',
      }),
    ),
  );
}

async function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const dist = path.join(root, 'dist');
if (process.argv.includes('--check')) {
  const temp = await mkdtemp(path.join(tmpdir(), 'madengine-dist-'));
  try {
    await bundleInto(temp);
    const [want, have] = [await listFiles(temp), await listFiles(dist)];
    const problems = [];
    for (const file of new Set([...want, ...have])) {
      if (!want.includes(file)) problems.push(`dist/${file} is stale (no source builds it)`);
      else if (!have.includes(file)) problems.push(`dist/${file} is missing`);
      else if (!(await readFile(path.join(temp, file))).equals(await readFile(path.join(dist, file))))
        problems.push(`dist/${file} differs from a fresh build`);
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
  console.log(`built ${Object.keys(bundles).length} bundle(s) into dist/`);
}
