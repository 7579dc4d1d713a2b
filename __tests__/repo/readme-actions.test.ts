/**
 * README.md documents every action: a `### <name>` section with a usage snippet and the input/output
 * tables that scripts/action-docs.mjs generates from the action.yml files. The check fails when a table
 * differs from its action.yml, when an action has no block, and when a snippet uses inputs that do not exist.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMap, isScalar, parseAllDocuments, visit } from 'yaml';
import type { YAMLMap } from 'yaml';
import {
  checkReadme,
  findBlocks,
  listActions,
  loadActionSpec,
  markers,
  parseActionSpec,
  renderActionDocs,
  ROOT_ACTION,
  syncReadme,
} from '../../scripts/action-docs.mjs';
import type { ActionSpec } from '../../scripts/action-docs.mjs';
import { repoRoot } from '../helpers/node.ts';

const SHIPPED_ACTIONS = [ROOT_ACTION, 'discover', 'build-matrix', 'build-push', 'run-local', 'deploy-slurm', 'collect-perf'];

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

test('README.md is in sync with every action.yml (run `node scripts/action-docs.mjs` to fix)', async () => {
  const { problems } = await checkReadme(repoRoot);
  assert.deepEqual(problems, []);
});

test('README.md documents every shipped action in a "### <name>" subsection of "## GitHub Actions"', async () => {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const section = /^## GitHub Actions\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  assert.ok(section, 'README.md has no "## GitHub Actions" section');
  const names = new Set([...SHIPPED_ACTIONS, ...(await listActions(repoRoot))]);
  for (const name of names) {
    const { start, end } = markers(name);
    assert.ok(section.includes(start) && section.includes(end), `README.md's GitHub Actions section has no ${start} ... ${end} block`);
    const heading = new RegExp(`^### ${name}\\b[^\\n]*\\n([\\s\\S]*?)${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm').exec(section);
    assert.ok(heading, `the ${name} block is not under a "### ${name}" heading`);
    assert.match(heading[1]!, /```yaml\n[\s\S]*uses: ROCm\/madengine[\w/-]*@v2[\s\S]*```/, `### ${name} has no usage snippet`);
  }
});

/** `uses:` steps of the README's yaml snippets: every `with:` key must be an input of that action. */
test('README usage snippets give only inputs the action declares, and every required one', async () => {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const problems: string[] = [];
  const specs = new Map<string, ActionSpec>();
  for (const block of readme.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    for (const doc of parseAllDocuments(block[1]!)) {
      if (!('contents' in doc)) continue;
      assert.deepEqual(
        doc.errors.map((error) => error.message),
        [],
        `README yaml snippet does not parse:\n${block[1]}`,
      );
      const steps: YAMLMap[] = [];
      visit(doc, { Map: (_key, node) => void (node.has('uses') ? steps.push(node) : undefined) });
      for (const step of steps) {
        const uses = String(step.get('uses'));
        const match = /^ROCm\/madengine(?:\/actions\/([\w-]+))?@/.exec(uses);
        if (!match) continue;
        const name = match[1] ?? ROOT_ACTION;
        if (!specs.has(name)) specs.set(name, await loadActionSpec(name, repoRoot));
        const spec = specs.get(name)!;
        const withNode = step.get('with');
        const given = isMap(withNode) ? withNode.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : [];
        for (const key of given) if (!spec.inputs.some((input) => input.name === key)) problems.push(`snippet using ${uses}: unknown input '${key}'`);
        for (const input of spec.inputs)
          if (input.required && !input.default && !given.includes(input.name)) problems.push(`snippet using ${uses}: required input '${input.name}' missing`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

// ---- the check does catch mistakes, on a copy of the repository's layout ----

const actionYml = (inputs: string, outputs: string) =>
  `name: fake\ndescription: A fake action\ninputs:\n${inputs}\noutputs:\n${outputs}\nruns:\n  using: node24\n  main: index.mjs\n`;

async function fakeRepo(readme: string, actions: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'madengine-readme-'));
  temps.push(root);
  await writeFile(path.join(root, 'README.md'), readme);
  for (const [name, text] of Object.entries(actions)) {
    const file = name === ROOT_ACTION ? path.join(root, 'action.yml') : path.join(root, 'actions', name, 'action.yml');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return root;
}

const alphaYml = actionYml(
  '  hub:\n    description: Hub | directory\n    required: false\n    default: .\n  models:\n    description: >-\n      JSON array,\n      folded\n    required: true',
  '  count:\n    description: How many',
);

test('the generated block is a table of inputs (name, description, required, default) and outputs', () => {
  const body = renderActionDocs('alpha', parseActionSpec(alphaYml, 'actions/alpha/action.yml'));
  assert.equal(
    body,
    [
      '<!-- generated from actions/alpha/action.yml by scripts/action-docs.mjs; edit the action.yml, then run it -->',
      '',
      '| Input | Description | Required | Default |',
      '|---|---|---|---|',
      '| `hub` | Hub \\| directory | no | `.` |',
      '| `models` | JSON array, folded | yes |  |',
      '',
      '| Output | Description |',
      '|---|---|',
      '| `count` | How many |',
    ].join('\n'),
  );
});

test('a stale block, a missing block, an orphan block and broken markers are each reported', async () => {
  const spec = parseActionSpec(alphaYml, 'actions/alpha/action.yml');
  const { start, end } = markers('alpha');
  const fresh = `# x\n${start}\n${renderActionDocs('alpha', spec)}\n${end}\n`;

  const upToDate = await fakeRepo(fresh, { alpha: alphaYml });
  assert.deepEqual((await checkReadme(upToDate)).problems, []);

  // action.yml gained an input the README does not show; the sync rewrites the block.
  const changed = alphaYml.replace('  models:', '  tags:\n    description: Tags\n    required: false\n    default: ""\n  models:');
  const stale = await fakeRepo(fresh, { alpha: changed });
  const result = await checkReadme(stale);
  assert.deepEqual(result.problems, ["README block 'alpha' is stale: it differs from actions/alpha/action.yml"]);
  assert.match(result.text, /\| `tags` \| Tags \| no \| {2}\|/);
  assert.deepEqual(syncReadme(result.text, new Map([['alpha', parseActionSpec(changed, 'x')]])).problems, []);

  const missing = await fakeRepo(fresh, { alpha: alphaYml, beta: alphaYml, [ROOT_ACTION]: alphaYml });
  assert.deepEqual((await checkReadme(missing)).problems, [
    `README has no block for the action 'beta' (actions/beta/action.yml); add its section with ${markers('beta').start} ... ${markers('beta').end}`,
    `README has no block for the action 'madengine' (action.yml); add its section with ${markers('madengine').start} ... ${markers('madengine').end}`,
  ]);

  const orphan = await fakeRepo(`${fresh}${markers('gone').start}\n${markers('gone').end}\n`, { alpha: alphaYml });
  assert.deepEqual((await checkReadme(orphan)).problems, ["README block 'gone' documents no action (actions/gone/action.yml does not exist)"]);

  assert.deepEqual(findBlocks(`${start}\n${markers('beta').start}\n${markers('beta').end}\n`).problems, [
    "README block 'alpha' has no end marker before the start of 'beta'",
  ]);
  assert.deepEqual(findBlocks(`${end}\n`).problems, ["README end marker of 'alpha' has no matching start marker"]);
  assert.deepEqual(findBlocks(`${start}\n`).problems, ["README block 'alpha' has no end marker"]);
});

test('an action.yml that is not valid YAML, lacks a description or has a bad `required` fails naming the file and key', async () => {
  assert.throws(() => parseActionSpec('inputs:\n  a: {description: x\n', 'actions/a/action.yml'), /^Error: actions\/a\/action\.yml: not valid YAML: /);
  assert.throws(
    () => parseActionSpec('inputs:\n  hub:\n    required: false\n', 'actions/a/action.yml'),
    /actions\/a\/action\.yml: inputs\.hub needs a 'description'/,
  );
  assert.throws(
    () => parseActionSpec('inputs:\n  hub:\n    description: x\n    required: "yes"\n', 'f'),
    /f: inputs\.hub\.required must be true or false, got "yes"/,
  );
  assert.throws(() => parseActionSpec('outputs: [a, b]\n', 'f'), /f: 'outputs' must be a mapping/);

  // An action directory without its action.yml is reported, not skipped.
  const root = await fakeRepo(`${markers('alpha').start}\n${markers('alpha').end}\n`, {});
  await mkdir(path.join(root, 'actions', 'alpha'), { recursive: true });
  assert.deepEqual((await checkReadme(root)).problems, ['actions/alpha/action.yml does not exist']);
});
