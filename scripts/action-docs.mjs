// Keeps README.md's per-action input/output tables in sync with the action.yml files.
// Usage: node scripts/action-docs.mjs [--check]
//   (no flag) rewrite every `<!-- action-docs:<name> start -->` ... `<!-- action-docs:<name> end -->` block
//   --check   change nothing; exit 1 listing every stale, missing or orphaned block
// <name> is a directory of actions/ (actions/<name>/action.yml) or `madengine` for the root action.yml.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repoRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The README name of the action in the repository root (`uses: ROCm/madengine@v2`). */
export const ROOT_ACTION = 'madengine';

export function actionFile(name) {
  return name === ROOT_ACTION ? 'action.yml' : `actions/${name}/action.yml`;
}

export function markers(name) {
  return { start: `<!-- action-docs:${name} start -->`, end: `<!-- action-docs:${name} end -->` };
}

/** Every action of the repository: the root one (when action.yml exists) and each directory of actions/. */
export async function listActions(root = repoRoot) {
  const names = existsSync(path.join(root, 'action.yml')) ? [ROOT_ACTION] : [];
  const dir = path.join(root, 'actions');
  if (existsSync(dir)) {
    for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) names.push(entry.name);
  }
  return names.sort();
}

const isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The documented interface of one action.yml: inputs (name, description, required, default) and outputs.
 * Throws an Error naming the file and key when the metadata is not what GitHub accepts.
 */
export function parseActionSpec(text, file) {
  let doc;
  try {
    doc = parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid YAML: ${error.message.split('\n')[0].replace(/:$/, '')}`);
  }
  if (!isMapping(doc)) throw new Error(`${file}: expected a mapping with name, description, inputs, outputs and runs`);
  const section = (key) => {
    const value = doc[key] ?? {};
    if (!isMapping(value)) throw new Error(`${file}: '${key}' must be a mapping of ${key.slice(0, -1)} names to their definitions`);
    return Object.entries(value).map(([name, def]) => {
      if (!isMapping(def) || typeof def.description !== 'string' || !def.description.trim())
        throw new Error(`${file}: ${key}.${name} needs a 'description' (GitHub shows it; README.md is generated from it)`);
      return [name, def];
    });
  };
  const inputs = section('inputs').map(([name, def]) => {
    if (def.required !== undefined && typeof def.required !== 'boolean')
      throw new Error(`${file}: inputs.${name}.required must be true or false, got ${JSON.stringify(def.required)}`);
    const spec = { name, description: def.description.trim(), required: def.required === true };
    if (def.default !== undefined && def.default !== null) spec.default = String(def.default);
    return spec;
  });
  const outputs = section('outputs').map(([name, def]) => ({ name, description: def.description.trim() }));
  return { name: typeof doc.name === 'string' ? doc.name : '', description: typeof doc.description === 'string' ? doc.description : '', inputs, outputs };
}

export async function loadActionSpec(name, root = repoRoot) {
  const file = actionFile(name);
  return parseActionSpec(await readFile(path.join(root, file), 'utf8'), file);
}

/** Markdown table cell: one line, pipes escaped (GitHub's tables split on them even inside code spans). */
function cell(text) {
  return text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

function code(text) {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
}

/** The generated block body (between the markers) for one action. */
export function renderActionDocs(name, spec) {
  const lines = [`<!-- generated from ${actionFile(name)} by scripts/action-docs.mjs; edit the action.yml, then run it -->`, ''];
  if (spec.inputs.length) {
    lines.push('| Input | Description | Required | Default |', '|---|---|---|---|');
    for (const input of spec.inputs)
      lines.push(`| ${code(input.name)} | ${cell(input.description)} | ${input.required ? 'yes' : 'no'} | ${input.default ? cell(code(input.default)) : ''} |`);
  } else {
    lines.push('No inputs.');
  }
  lines.push('');
  if (spec.outputs.length) {
    lines.push('| Output | Description |', '|---|---|');
    for (const output of spec.outputs) lines.push(`| ${code(output.name)} | ${cell(output.description)} |`);
  } else {
    lines.push('No outputs.');
  }
  return lines.join('\n');
}

/** Each `action-docs:<name>` block of a README: its name and where its body starts and ends. */
export function findBlocks(readme) {
  const blocks = [];
  const problems = [];
  const pattern = /<!-- action-docs:([\w.-]+) (start|end) -->/g;
  let open;
  for (const match of readme.matchAll(pattern)) {
    const [marker, name, kind] = match;
    if (kind === 'start') {
      if (open) problems.push(`README block '${open.name}' has no end marker before the start of '${name}'`);
      open = { name, bodyStart: match.index + marker.length };
    } else if (!open || open.name !== name) {
      problems.push(`README end marker of '${name}' has no matching start marker`);
      open = undefined;
    } else {
      if (blocks.some((block) => block.name === name)) problems.push(`README has more than one block for '${name}'`);
      blocks.push({ name, bodyStart: open.bodyStart, bodyEnd: match.index });
      open = undefined;
    }
  }
  if (open) problems.push(`README block '${open.name}' has no end marker`);
  return { blocks, problems };
}

/**
 * README text with every block regenerated from `specs` (name -> parsed action.yml, or an Error when it
 * could not be read), and the problems found: stale, missing or orphaned blocks, unreadable action.yml files.
 */
export function syncReadme(readme, specs) {
  const { blocks, problems } = findBlocks(readme);
  let text = readme;
  // Right to left, so earlier offsets stay valid while replacing.
  for (const block of [...blocks].reverse()) {
    const spec = specs.get(block.name);
    if (spec === undefined) {
      problems.push(`README block '${block.name}' documents no action (${actionFile(block.name)} does not exist)`);
      continue;
    }
    if (spec instanceof Error) {
      problems.push(spec.message);
      continue;
    }
    const body = `\n${renderActionDocs(block.name, spec)}\n`;
    if (text.slice(block.bodyStart, block.bodyEnd) !== body) {
      problems.push(`README block '${block.name}' is stale: it differs from ${actionFile(block.name)}`);
      text = text.slice(0, block.bodyStart) + body + text.slice(block.bodyEnd);
    }
  }
  for (const name of specs.keys()) {
    if (!blocks.some((block) => block.name === name)) {
      const { start, end } = markers(name);
      problems.push(`README has no block for the action '${name}' (${actionFile(name)}); add its section with ${start} ... ${end}`);
    }
  }
  return { text, problems: problems.sort() };
}

/** Reads README.md and every action.yml under `root`; returns the synced README text and the problems. */
export async function checkReadme(root = repoRoot) {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const specs = new Map();
  const names = new Set(await listActions(root));
  // A block whose action directory lacks action.yml is reported through the load error, not as an orphan.
  for (const { name } of findBlocks(readme).blocks) if (existsSync(path.join(root, path.dirname(actionFile(name))))) names.add(name);
  for (const name of names) {
    try {
      specs.set(name, await loadActionSpec(name, root));
    } catch (error) {
      specs.set(name, error.code === 'ENOENT' ? new Error(`${actionFile(name)} does not exist`) : error);
    }
  }
  return { readme, ...syncReadme(readme, specs) };
}

async function cli() {
  const check = process.argv.includes('--check');
  const { readme, text, problems } = await checkReadme();
  if (check) {
    if (problems.length) {
      console.error(`README.md is out of sync with the action.yml files; run 'node scripts/action-docs.mjs':\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log('README.md action docs match the action.yml files');
    return;
  }
  if (text !== readme) await writeFile(path.join(repoRoot, 'README.md'), text);
  // Stale blocks are fixed by the rewrite; anything else needs a person.
  const remaining = problems.filter((problem) => !problem.includes(' is stale: '));
  if (remaining.length) {
    console.error(`README.md: ${remaining.length} problem(s) left to fix by hand:\n  ${remaining.join('\n  ')}`);
    process.exit(1);
  }
  console.log(text === readme ? 'README.md action docs already up to date' : 'README.md action docs regenerated');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
