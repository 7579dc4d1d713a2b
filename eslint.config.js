import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------------
// Layers of src/. Each may import its own folder, the src/ entries in `allow`, node built-ins and npm
// packages except those in `packages`:
//
//   src/core       the pure library                       -> (nothing of ours above it)
//   src/engines    Docker / host implementations of core  -> core
//   src/pipeline   wires core and engines (src/workflows until the move is done)
//                                                          -> core, engines
//   src/github     adapters over @actions/*                -> core/errors.ts, core/log.ts only
//   src/actions    the GitHub Action entry points          -> pipeline, core, github
//   src/cli        the command line                        -> pipeline, core
//
// A relative import leaves a layer's folder when it starts with more '../' than the importing file is
// deep below src/<layer>/; what follows is then a path from src/ and must start with an allowed entry.
// That is exact for any depth, so an import of a sibling folder inside a layer (src/engines/docker ->
// ../host/run-output.ts) never trips it. (Glob negations can't express "../** except ../core/log.ts":
// gitignore semantics don't re-include a file whose parent is excluded, hence the regexes.)
// no-restricted-imports sees static imports and `export ... from`, type-only ones too; not import().
// ---------------------------------------------------------------------------------------------------

const PIPELINE = ['pipeline', 'workflows'];
const MAX_DEPTH = 8;

const actionsPackages = (message) => ({ group: ['@actions/*'], message });

const layers = [
  {
    dirs: ['core'],
    // Templates are text (imported through esbuild's text loader), not code.
    allow: ['../templates/'],
    message:
      'core imports nothing above it: src/core/** may import only src/core/**, the templates/ folder (as text), node built-ins and npm packages (no @actions/*, no dockerode); ' +
      'declare an interface in src/core and implement it in src/engines or src/github instead.',
    patterns: [actionsPackages('core imports nothing above it: no @actions/* in src/core (GitHub adapters live in src/github).')],
    paths: [
      { name: 'dockerode', message: 'core imports nothing above it: no dockerode in src/core (Docker lives in src/engines, behind an interface of src/core).' },
    ],
  },
  {
    dirs: ['engines'],
    allow: ['core/'],
    message:
      'engines import only core: src/engines/** may import src/core/**, node built-ins and npm packages; not src/pipeline, src/workflows, src/github, src/actions or src/cli.',
    patterns: [actionsPackages('engines import only core: no @actions/* in src/engines (GitHub adapters live in src/github).')],
  },
  {
    dirs: PIPELINE,
    allow: ['core/', 'engines/', ...PIPELINE.map((dir) => `${dir}/`)],
    message: 'pipeline imports only core and engines: src/pipeline/** may import src/core/** and src/engines/**; not src/github, src/actions or src/cli.',
    patterns: [actionsPackages('pipeline imports only core and engines: no @actions/* in src/pipeline (the actions pass inputs, logger and outputs in).')],
  },
  {
    dirs: ['github'],
    allow: ['core/errors.ts', 'core/log.ts'],
    message:
      'github adapters wrap @actions/* only: from our code src/github/** may import only src/core/errors.ts, src/core/log.ts and other src/github files; ' +
      'the pipeline is wired in src/actions.',
  },
  {
    dirs: ['actions'],
    allow: ['core/', 'github/', 'version.ts', ...PIPELINE.map((dir) => `${dir}/`)],
    message:
      'actions never import engines: src/actions/** may import src/pipeline/**, src/core/** and src/github/** (the pipeline wires the engines); not src/engines or src/cli.',
  },
  {
    dirs: ['cli'],
    allow: ['core/', 'version.ts', ...PIPELINE.map((dir) => `${dir}/`)],
    message:
      'cli never imports engines or GitHub: src/cli/** may import src/pipeline/**, src/core/** and src/version.ts; not src/engines, src/github or src/actions.',
    patterns: [actionsPackages('cli never imports engines or GitHub: no @actions/* in src/cli.')],
  },
];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches a relative import, written in a file `depth` folders below src/<layer>/, that leaves the layer for anything not in `allow`. */
function leavesLayer(depth, allow) {
  const allowed = allow.map((entry) => (entry.endsWith('/') ? escapeRegex(entry) : `${escapeRegex(entry)}$`));
  return `^(?:\\.\\./){${depth + 1}}${allowed.length ? `(?!${allowed.join('|')})` : ''}`;
}

const layerBlocks = layers.flatMap(({ dirs, allow, message, patterns = [], paths = [] }) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => ({
    files: dirs.map((dir) => `src/${dir}/${'*/'.repeat(depth)}*.{ts,mts,cts,js,mjs}`),
    rules: {
      'no-restricted-imports': ['error', { paths, patterns: [{ regex: leavesLayer(depth, allow), message }, ...patterns] }],
    },
  })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**', '**/*.py', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // node:test's test()/describe() return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Plain JavaScript (this file, scripts/*.mjs) is outside tsconfig.json: no type information, so no type-aware rules.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  ...layerBlocks,
);
