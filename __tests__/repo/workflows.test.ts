/**
 * Every workflow of the repository (.github/workflows and examples/workflows) is valid for GitHub:
 * it parses and validates against GitHub's own workflow schema (@actions/workflow-parser), and every
 * step that uses one of this repository's actions (`./actions/<name>`, `./`, `ROCm/madengine/actions/<name>@ref`,
 * `ROCm/madengine@ref`) gives only inputs its action.yml declares, gives every required one, and reads only
 * outputs it declares; every third-party action is pinned by commit SHA. The broken workflows at the end
 * show that each check does report what it should.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/index';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Node as YamlNode, YAMLMap } from 'yaml';
import { actionFile, loadActionSpec, parseActionSpec, ROOT_ACTION } from '../../scripts/action-docs.mjs';
import type { ActionSpec } from '../../scripts/action-docs.mjs';
import { didYouMean } from '../../src/core/util/suggest.ts';
import { repoRoot } from '../helpers/node.ts';

/** The actions this repository ships; each must have its action.yml (the root one is `madengine`). */
const SHIPPED_ACTIONS = [ROOT_ACTION, 'discover', 'build-matrix', 'build-push', 'run-local', 'collect-perf', 'deploy-slurm'];

async function workflowFiles(): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    if (!existsSync(path.join(repoRoot, dir))) return;
    for (const entry of await readdir(path.join(repoRoot, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else if (/\.ya?ml$/.test(entry.name)) files.push(rel);
    }
  };
  await walk('.github/workflows');
  await walk('examples/workflows');
  return files.sort();
}

/** GitHub's schema errors (unknown keys, bad expressions, contexts not allowed there) and job-graph errors. */
async function schemaErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length || !parsed.value) return errors.length ? errors : [`${name}: empty workflow`];
  // Conversion checks what the schema cannot: `needs` naming unknown jobs, cycles, matrix shape.
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return (template.errors ?? []).map((error) => error.Message);
}

/** Which of this repository's actions a `uses:` names: an action name, `null` for any other action. */
function ownAction(uses: string): string | null {
  if (/^\.\/?$/.test(uses) || /^rocm\/madengine@[^/]+$/i.test(uses)) return ROOT_ACTION;
  const local = /^\.\/actions\/([\w.-]+)\/?$/.exec(uses) ?? /^rocm\/madengine\/actions\/([\w.-]+)@[^/]+$/i.exec(uses);
  return local ? local[1]! : null;
}

type SpecLoader = (name: string) => Promise<ActionSpec>;

const loadRepoSpec: SpecLoader = (name) => loadActionSpec(name, repoRoot);

/**
 * Every `steps.<id>.outputs.<name>` / `needs.<job>.outputs.<name>` reference in the expressions of a value
 * (`if:` values are expressions even without `${{ }}`).
 */
function outputReferences(text: string, isCondition: boolean): { kind: 'steps' | 'needs'; id: string; output: string }[] {
  const refs: { kind: 'steps' | 'needs'; id: string; output: string }[] = [];
  const expressions = isCondition && !text.includes('${{') ? [text] : [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((match) => match[1]!);
  for (const expression of expressions) {
    for (const match of expression.matchAll(/\b(steps|needs)\.([\w-]+)\.outputs\.([\w-]+)/g))
      refs.push({ kind: match[1] as 'steps' | 'needs', id: match[2]!, output: match[3]! });
  }
  return refs;
}

const str = (map: YAMLMap, key: string): string | undefined => {
  const value = map.get(key);
  return typeof value === 'string' ? value : undefined;
};

/**
 * Problems of the steps that use this repository's actions, as `file:line: message`. `loadSpec` reads an
 * action's interface (injected so the broken-workflow tests can use a made-up action).
 */
async function actionStepProblems(file: string, content: string, loadSpec: SpecLoader = loadRepoSpec): Promise<string[]> {
  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines });
  const at = (node: YamlNode | null | undefined) => `${file}:${node?.range ? lines.linePos(node.range[0]).line : '?'}`;
  const problems: string[] = [];
  const specs = new Map<string, Promise<ActionSpec | Error>>();
  const spec = (name: string) => {
    if (!specs.has(name))
      specs.set(
        name,
        loadSpec(name).catch((error: NodeJS.ErrnoException) =>
          error.code === 'ENOENT' ? new Error(`${actionFile(name)} does not exist (yet?): every action this repository uses must ship one`) : error,
        ),
      );
    return specs.get(name)!;
  };

  const jobs = doc.get('jobs');
  if (!isMap(jobs)) return problems; // the schema check reports a workflow without jobs
  // Job outputs, for `needs.<job>.outputs.<name>` references.
  const jobOutputs = new Map<string, Set<string>>();
  for (const job of jobs.items) {
    const outputs = isMap(job.value) ? job.value.get('outputs') : undefined;
    jobOutputs.set(
      String(isScalar(job.key) ? job.key.value : job.key),
      new Set(isMap(outputs) ? outputs.items.map((item) => String(isScalar(item.key) ? item.key.value : item.key)) : []),
    );
  }

  for (const jobPair of jobs.items) {
    const jobId = String(isScalar(jobPair.key) ? jobPair.key.value : jobPair.key);
    const job = jobPair.value;
    if (!isMap(job)) continue;
    const needsNode = job.get('needs');
    const needs = new Set(
      typeof needsNode === 'string' ? [needsNode] : isSeq(needsNode) ? needsNode.items.map((item) => String(isScalar(item) ? item.value : item)) : [],
    );
    const steps = job.get('steps');
    // Step id -> the interface of the action it runs (only this repository's actions).
    const stepActions = new Map<string, { name: string; spec: ActionSpec | Error }>();

    for (const [index, step] of (isSeq(steps) ? steps.items : []).entries()) {
      if (!isMap(step)) continue;
      const uses = str(step, 'uses');
      if (uses === undefined) continue;
      const name = ownAction(uses);
      const label = `job '${jobId}' step ${str(step, 'id') ?? str(step, 'name') ?? `#${index + 1}`} (uses: ${uses})`;
      if (name === null) {
        // A local path that is not one of ours would only fail on the runner; catch the typo here.
        if (uses.startsWith('.')) problems.push(`${at(step)}: ${label}: not an action of this repository; use ./ (the root action.yml) or ./actions/<name>`);
        continue;
      }
      const loaded = await spec(name);
      const stepId = str(step, 'id');
      if (stepId) stepActions.set(stepId, { name, spec: loaded });
      if (loaded instanceof Error) {
        problems.push(`${at(step)}: ${label}: ${loaded.message}`);
        continue;
      }
      const withNode = step.get('with', true) as YamlNode | undefined;
      if (withNode !== undefined && !isMap(withNode)) {
        problems.push(`${at(withNode)}: ${label}: 'with' must be a mapping of input names to values`);
        continue;
      }
      const declared = loaded.inputs.map((input) => input.name);
      const given = new Set<string>();
      for (const pair of isMap(withNode) ? withNode.items : []) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        given.add(key);
        if (!declared.includes(key))
          problems.push(
            `${at(pair.key as YamlNode)}: ${label}: input '${key}' is not declared in ${actionFile(name)}${didYouMean(key, declared)}; it declares: ${declared.join(', ')}`,
          );
      }
      for (const input of loaded.inputs) {
        // A required input with a default still works when left out; one without a default does not.
        if (input.required && !input.default && !given.has(input.name))
          problems.push(`${at(step)}: ${label}: required input '${input.name}' of ${actionFile(name)} is not given`);
      }
    }

    // Outputs read anywhere in the job (step inputs, env, run scripts, if:, job outputs) must exist.
    visit(job, {
      Scalar(key, node, ancestors) {
        if (typeof node.value !== 'string') return;
        const pair = ancestors.at(-1);
        const isCondition = key === 'value' && isPair(pair) && isScalar(pair.key) && pair.key.value === 'if';
        for (const ref of outputReferences(node.value, isCondition)) {
          if (ref.kind === 'steps') {
            const action = stepActions.get(ref.id);
            if (action && !(action.spec instanceof Error) && !action.spec.outputs.some((output) => output.name === ref.output)) {
              const outputs = action.spec.outputs.map((output) => output.name);
              problems.push(
                `${at(node)}: job '${jobId}': steps.${ref.id}.outputs.${ref.output}: ${actionFile(action.name)} has no output '${ref.output}'${didYouMean(ref.output, outputs)}; its outputs: ${outputs.join(', ')}`,
              );
            }
          } else if (!needs.has(ref.id)) {
            problems.push(
              `${at(node)}: job '${jobId}': needs.${ref.id}.outputs.${ref.output}: '${ref.id}' is not in this job's needs (${[...needs].join(', ') || 'none'})`,
            );
          } else if (jobOutputs.has(ref.id) && !jobOutputs.get(ref.id)!.has(ref.output)) {
            const outputs = [...jobOutputs.get(ref.id)!];
            problems.push(
              `${at(node)}: job '${jobId}': needs.${ref.id}.outputs.${ref.output}: job '${ref.id}' has no output '${ref.output}'${didYouMean(ref.output, outputs)}`,
            );
          }
        }
      },
    });
  }
  return problems;
}

test('the repository has workflows to check: CI, release, e2e and the examples', async () => {
  const files = await workflowFiles();
  for (const expected of [
    '.github/workflows/ci.yml',
    '.github/workflows/release.yml',
    '.github/workflows/e2e.yml',
    'examples/workflows/pr-benchmark.yml',
    'examples/workflows/nightly.yml',
    'examples/workflows/one-step.yml',
  ])
    assert.ok(files.includes(expected), `${expected} is missing; found: ${files.join(', ')}`);
});

test('CI shows lint, types, unit, integration and dist as separate checks', async () => {
  const ci = parseDocument(await readFile(path.join(repoRoot, '.github/workflows/ci.yml'), 'utf8')).toJS() as { jobs: Record<string, { name?: string }> };
  const checks = Object.entries(ci.jobs).map(([id, job]) => job.name ?? id);
  for (const check of ['lint', 'types', 'unit', 'integration', 'dist'])
    assert.ok(checks.includes(check), `ci.yml has no job '${check}'; its jobs: ${checks.join(', ')}`);
});

/**
 * Problems of the `uses:` lines that name a third-party action (anything but a local path, a docker:// image
 * or this repository's own actions): each must be pinned by a full 40-hex commit SHA, with the version it was
 * taken from as a trailing comment (`uses: actions/checkout@<sha> # v5.1.0`), so a moved tag cannot change it.
 */
function unpinnedActions(file: string, content: string): string[] {
  const problems: string[] = [];
  for (const [index, line] of content.split('\n').entries()) {
    const match = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1(?:\s+#\s*(.*))?$/.exec(line);
    if (!match) continue;
    const [, , uses, comment] = match as unknown as [string, string, string, string | undefined];
    if (uses.startsWith('./') || uses === '.' || uses.startsWith('docker://') || ownAction(uses) !== null) continue;
    const at = `${file}:${index + 1}`;
    if (!/^[\w.-]+\/[\w.-]+(\/[^@\s]+)?@[0-9a-f]{40}$/.test(uses))
      problems.push(`${at}: ${uses} is not pinned by a full commit SHA (uses: owner/repo@<40 hex> # vX.Y.Z)`);
    else if (!/^v\d+(\.\d+){0,2}\b/.test(comment ?? '')) problems.push(`${at}: ${uses} has no trailing '# vX.Y.Z' comment naming the version it pins`);
  }
  return problems;
}

test('every third-party action in the workflows is pinned by commit SHA with its version as a comment', async () => {
  const problems: string[] = [];
  for (const file of await workflowFiles()) problems.push(...unpinnedActions(file, await readFile(path.join(repoRoot, file), 'utf8')));
  assert.deepEqual(problems, []);
});

test('the pinning check reports tags, branches, short SHAs and missing version comments, and leaves our actions alone', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  const workflow = [
    `      - uses: actions/checkout@${sha} # v5.1.0`, //        1 ok
    '      - uses: actions/checkout@v5', //                      2 a tag
    '        uses: actions/setup-node@main', //                  3 a branch
    '      - uses: docker/login-action@4907a6d # v4.1.0', //     4 a short SHA
    `      - uses: docker/login-action@${sha}`, //              5 no version comment
    `      - uses: 'github/codeql-action/init@${sha}' # v3.29.0`, // 6 ok, quoted, with a path
    '      - uses: ROCm/madengine/actions/discover@v2', //       7 ours
    '      - uses: ROCm/madengine@v2', //                        8 ours
    '      - uses: ./actions/run-local', //                      9 local
    '      - uses: docker://alpine:3', //                        10 an image
  ].join('\n');
  assert.deepEqual(unpinnedActions('wf.yml', workflow), [
    'wf.yml:2: actions/checkout@v5 is not pinned by a full commit SHA (uses: owner/repo@<40 hex> # vX.Y.Z)',
    'wf.yml:3: actions/setup-node@main is not pinned by a full commit SHA (uses: owner/repo@<40 hex> # vX.Y.Z)',
    'wf.yml:4: docker/login-action@4907a6d is not pinned by a full commit SHA (uses: owner/repo@<40 hex> # vX.Y.Z)',
    `wf.yml:5: docker/login-action@${sha} has no trailing '# vX.Y.Z' comment naming the version it pins`,
  ]);
});

test('every workflow validates against the GitHub workflow schema', async () => {
  const problems: string[] = [];
  for (const file of await workflowFiles()) problems.push(...(await schemaErrors(file, await readFile(path.join(repoRoot, file), 'utf8'))));
  assert.deepEqual(problems, []);
});

test('every step using one of our actions gives declared inputs, all required ones, and reads declared outputs', async () => {
  const problems: string[] = [];
  for (const file of await workflowFiles()) problems.push(...(await actionStepProblems(file, await readFile(path.join(repoRoot, file), 'utf8'))));
  assert.deepEqual(problems, []);
});

test('the workflows use every shipped action, the e2e one from this checkout', async () => {
  const uses = new Map<string, Set<string>>();
  for (const file of await workflowFiles()) {
    const text = await readFile(path.join(repoRoot, file), 'utf8');
    uses.set(
      file,
      new Set([...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)/gm)].map((match) => ownAction(match[1]!)).filter((name): name is string => name !== null)),
    );
  }
  assert.deepEqual([...uses.get('.github/workflows/e2e.yml')!].sort(), [...SHIPPED_ACTIONS].sort());
  const examples = new Set([...uses].filter(([file]) => file.startsWith('examples/')).flatMap(([, names]) => [...names]));
  assert.deepEqual([...examples].sort(), [...SHIPPED_ACTIONS].sort());
  // The examples are for other repositories: they must reference the published actions, not local paths.
  for (const [file] of [...uses].filter(([file]) => file.startsWith('examples/'))) {
    const text = await readFile(path.join(repoRoot, file), 'utf8');
    assert.doesNotMatch(text, /uses:\s*\.\//, `${file} uses a local action path`);
  }
});

test('every shipped action.yml exists and validates against the GitHub action schema, running its committed bundle on node24', async () => {
  const problems: string[] = [];
  for (const name of SHIPPED_ACTIONS) {
    const file = actionFile(name);
    if (!existsSync(path.join(repoRoot, file))) {
      problems.push(`${file} does not exist (yet?): the workflows and README document it`);
      continue;
    }
    const content = await readFile(path.join(repoRoot, file), 'utf8');
    const parsed = parseAction({ name: file, content }, new NoOperationTraceWriter());
    const schemaProblems = parsed.context.errors.getErrors().map((error) => error.message.split('\n')[0]!);
    // A YAML syntax error cascades into one error per following token: the first few say it all.
    problems.push(...schemaProblems.slice(0, 3), ...(schemaProblems.length > 3 ? [`${file}: ... and ${schemaProblems.length - 3} more`] : []));
    if (schemaProblems.length) continue;
    try {
      parseActionSpec(content, file);
    } catch (error) {
      problems.push((error as Error).message);
    }
    const runs = (parseDocument(content).toJS() as { runs?: Record<string, unknown> }).runs ?? {};
    if (runs.using !== 'node24') problems.push(`${file}: runs.using is ${JSON.stringify(runs.using)}, expected node24`);
    for (const key of ['main', 'pre', 'post'] as const) {
      if (typeof runs[key] !== 'string') continue;
      const target = path.resolve(repoRoot, path.dirname(file), runs[key] as string);
      if (!existsSync(target)) problems.push(`${file}: runs.${key} ${runs[key]} does not exist (run 'npm run build')`);
    }
  }
  assert.deepEqual(problems, []);
});

// ---- the checks do catch mistakes ----

test('a broken workflow is reported by the schema check: unknown event and key, bad expression, unknown needs', async () => {
  const broken = [
    'on: pushh',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v5',
    '        runn: echo',
    '      - run: echo ${{ fromJSON( }}',
  ].join('\n');
  const errors = await schemaErrors('broken.yml', broken);
  assert.equal(errors.length, 3, errors.join('\n'));
  assert.match(errors[0]!, /broken\.yml \(Line: 1, Col: 5\): Unexpected value 'pushh'/);
  assert.match(errors[1]!, /Line: 7.*'runn'/);
  assert.match(errors[2]!, /Line: 8.*expression/i);

  const graph = ['on: push', 'jobs:', '  a:', '    needs: b', '    runs-on: ubuntu-latest', '    steps: [{run: echo}]'].join('\n');
  assert.match((await schemaErrors('graph.yml', graph)).join('\n'), /graph\.yml.*at least one job with no dependencies/);

  // A context that is not available where it is used (no `matrix` in runs-on without a strategy is fine; `steps` is not).
  const context = ['on: push', 'jobs:', '  a:', '    runs-on: ${{ steps.x.outputs.y }}', '    steps: [{run: echo}]'].join('\n');
  assert.match((await schemaErrors('context.yml', context)).join('\n'), /Unrecognized named-value: 'steps'/);
});

const fakeSpec: ActionSpec = {
  name: 'fake',
  description: 'a made-up action',
  inputs: [
    { name: 'models', description: 'required, no default', required: true },
    { name: 'hub', description: 'required with a default', required: true, default: '.' },
    { name: 'tags', description: 'optional', required: false, default: '' },
  ],
  outputs: [{ name: 'matrix', description: 'JSON' }],
};
const fakeLoader: SpecLoader = async (name) => {
  if (name === 'fake' || name === ROOT_ACTION) return fakeSpec;
  throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
};

test('a step with an undeclared input, a missing required input or an unknown output is reported with its line', async () => {
  const workflow = [
    'on: push', //                                         1
    'jobs:', //                                            2
    '  plan:', //                                          3
    '    runs-on: ubuntu-latest', //                       4
    '    outputs:', //                                     5
    '      matrix: ${{ steps.m.outputs.matrixx }}', //     6
    '    steps:', //                                       7
    '      - id: m', //                                    8
    '        uses: ./actions/fake', //                     9
    '        with:', //                                   10
    '          tag: dummies', //                          11
    '      - uses: ROCm/madengine@v2', //                 12
    '        with: {models: "[]", hub: x}', //            13
    '  run:', //                                          14
    '    runs-on: ubuntu-latest', //                      15
    '    steps:', //                                      16
    '      - run: echo ${{ needs.plan.outputs.matrix }}', // 17
    '      - uses: rocm/madengine/actions/nope@main', //  18
    '      - uses: actions/checkout@v5', //               19
    '        with: {anything: goes}', //                  20
    '      - uses: ./action/discover', //                 21
    "        if: needs.plan.outputs.count != '0'", //     22
  ].join('\n');
  const problems = await actionStepProblems('wf.yml', workflow, fakeLoader);
  assert.deepEqual(problems, [
    "wf.yml:11: job 'plan' step m (uses: ./actions/fake): input 'tag' is not declared in actions/fake/action.yml (did you mean 'tags'?); it declares: models, hub, tags",
    "wf.yml:8: job 'plan' step m (uses: ./actions/fake): required input 'models' of actions/fake/action.yml is not given",
    "wf.yml:6: job 'plan': steps.m.outputs.matrixx: actions/fake/action.yml has no output 'matrixx' (did you mean 'matrix'?); its outputs: matrix",
    "wf.yml:18: job 'run' step #2 (uses: rocm/madengine/actions/nope@main): actions/nope/action.yml does not exist (yet?): every action this repository uses must ship one",
    "wf.yml:21: job 'run' step #4 (uses: ./action/discover): not an action of this repository; use ./ (the root action.yml) or ./actions/<name>",
    "wf.yml:17: job 'run': needs.plan.outputs.matrix: 'plan' is not in this job's needs (none)",
    "wf.yml:22: job 'run': needs.plan.outputs.count: 'plan' is not in this job's needs (none)",
  ]);
});

test('our actions are recognised by every way a workflow can name them; others are left alone', () => {
  assert.equal(ownAction('./'), ROOT_ACTION);
  assert.equal(ownAction('.'), ROOT_ACTION);
  assert.equal(ownAction('ROCm/madengine@v2'), ROOT_ACTION);
  assert.equal(ownAction('./actions/run-local'), 'run-local');
  assert.equal(ownAction('./actions/run-local/'), 'run-local');
  assert.equal(ownAction('ROCm/madengine/actions/build-push@v2'), 'build-push');
  assert.equal(ownAction('rocm/MADengine/actions/discover@0123abc'), 'discover');
  assert.equal(ownAction('actions/checkout@v5'), null);
  assert.equal(ownAction('ROCm/madengine-other@v2'), null);
  assert.equal(ownAction('docker://alpine:3'), null);
});
