/**
 * The reporting half of collect-perf, shared with the one-step action: find the baseline (file,
 * artifact of a workflow's latest successful run, or the Actions cache), run the pipeline's
 * collectPerf, then publish: artifact, job summary, sticky pull request comment, cache entry, outputs.
 */
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { ConfigError, MadError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { renderComment, renderSummary } from '../../core/report/markdown.ts';
import type { Report } from '../../core/report/types.ts';
import { downloadFromRun, uploadFiles } from '../../github/artifacts.ts';
import { restoreByPrefix, saveEntry } from '../../github/cache.ts';
import { upsertComment } from '../../github/comment.ts';
import { runContext, type RunContext } from '../../github/event.ts';
import { findPullRequest } from '../../github/pulls.ts';
import { workspace } from '../../github/run-action.ts';
import { latestSuccessfulRun } from '../../github/workflow-runs.ts';
import { collectPerf, type BaselineSource, type CollectPerfResult, type Shard } from '../../pipeline/report.ts';
import type { ReportInputs } from './inputs.ts';

/** Where cache entries are restored to and saved from (the same path both ways: it is part of the cache version). */
const CACHE_DIR = '.madengine-perf-cache';

export interface PublishOptions {
  outputDir: string;
  uploadArtifact: boolean;
  artifactName: string;
}

/** Sets the report's outputs (regressions, report-json, report-html, comment-url, baseline-found); the caller sets the rest. */
export async function reportPerf(shards: readonly Shard[], inputs: ReportInputs, options: PublishOptions, logger: Logger): Promise<CollectPerfResult> {
  const context = runContext();
  const work = path.join(process.env.RUNNER_TEMP ?? options.outputDir, `madengine-baseline-${process.pid}`);
  const found = await findBaseline(inputs, context, work, logger);
  const result = await collectPerf({
    shards,
    baseline: found.source,
    ...(inputs.historyLength > 0
      ? {
          history: {
            file: found.history,
            maxRuns: inputs.historyLength,
            run: { runId: `${context.runId}-${context.runAttempt}`, sha: context.headSha, date: new Date().toISOString() },
          },
        }
      : {}),
    threshold: inputs.threshold,
    confidence: inputs.confidence,
    directions: inputs.directions,
    meta: {
      title: inputs.title,
      ...(context.repository ? { repository: `${context.repository.owner}/${context.repository.repo}` } : {}),
      headSha: context.headSha,
      ...((found.sha ?? context.baseSha) ? { baseSha: found.sha ?? context.baseSha } : {}),
      runUrl: context.runUrl,
      workflow: context.workflow,
      ...(context.pullRequest ? { pullRequest: context.pullRequest } : {}),
    },
    outputDir: options.outputDir,
    logger,
  });
  await rm(work, { recursive: true, force: true });
  const { report, files } = result;

  if (options.uploadArtifact) {
    const uploaded = await uploadFiles(
      options.artifactName,
      Object.values(files).filter((file): file is string => Boolean(file)),
      options.outputDir,
    );
    logger.info(`uploaded the report as artifact '${options.artifactName}'`);
    if (uploaded.id && context.repository && context.runId) {
      // The artifact page has no attempt in its path (runUrl has one from the second attempt on).
      const { owner, repo } = context.repository;
      report.meta.fullReportUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}/artifacts/${uploaded.id}`;
    }
  }
  if (!report.meta.fullReportUrl)
    report.meta.fullReportUrl = `${path.relative(workspace(), files.reportHtml)}${options.uploadArtifact ? ` in artifact '${options.artifactName}'` : ''}`;

  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderSummary(report), true).write();
  await saveBaseline(inputs, context, files, logger);

  core.setOutput('regressions', String(result.regressions));
  core.setOutput('report-json', files.reportJson);
  core.setOutput('report-html', files.reportHtml);
  core.setOutput('baseline-found', String(report.comparison.baselineFound));

  const url = await comment(report, result.changed, inputs, context, logger);
  core.setOutput('comment-url', url ?? '');

  const { counts } = report.comparison;
  logger.info(
    `${counts.regressed} regressed, ${counts.failed} failed, ${counts.missing} missing, ${counts.new} new, ${counts.improved} improved, ${counts.unchanged} unchanged`,
  );
  return result;
}

/** fail-on-regression, raised by the caller once every output is set. */
export function failOnRegression(result: CollectPerfResult, inputs: ReportInputs): void {
  if (inputs.failOnRegression && result.rejected > 0) {
    throw new MadError(`${result.rejected} perf.csv row(s) were rejected (see the warnings), so their models could not be judged (fail-on-regression is on)`);
  }
  if (inputs.failOnRegression && result.regressions > 0) {
    throw new MadError(
      `${result.regressions} regression(s) beyond the threshold of ${inputs.threshold} percent (fail-on-regression is on); see the job summary`,
    );
  }
}

interface FoundBaseline {
  source: BaselineSource;
  /** history.csv that came with the baseline (artifact or cache entry). */
  history?: string;
  /** Commit the baseline data was measured at. */
  sha?: string;
}

/** The first baseline that exists, in the order: file, workflow artifact, cache. None is not an error. */
async function findBaseline(inputs: ReportInputs, context: RunContext, work: string, logger: Logger): Promise<FoundBaseline> {
  if (inputs.baseline) return { source: { file: inputs.baseline, description: `file ${path.relative(workspace(), inputs.baseline)}` } };
  const reasons: string[] = [];
  if (inputs.baselineWorkflow) {
    const found = await fromWorkflow(inputs, inputs.baselineWorkflow, context, work, logger);
    if ('source' in found) return found;
    reasons.push(found.reason);
  }
  if (inputs.baselineCacheKey) {
    const prefix = `${inputs.baselineCacheKey}-`;
    const dir = path.resolve(workspace(), CACHE_DIR);
    await rm(dir, { recursive: true, force: true }); // nothing of an earlier job on this runner is mistaken for the entry
    const key = await restoreByPrefix([CACHE_DIR], prefix, logger);
    // Only entries this key saved (<key>-<run id>-<attempt>): key `perf` must not take `perf-mi300-...`'s.
    const ours = key !== undefined && /^\d+-\d+$/.test(key.slice(prefix.length));
    if (key && !ours)
      logger.warn(`cache entry ${key} was not saved under baseline-cache-key '${inputs.baselineCacheKey}' (expected ${prefix}<run id>-<attempt>); not used`);
    if (key && ours && (await has(dir, 'perf.csv'))) {
      return {
        source: { file: path.join(dir, 'perf.csv'), description: `cache entry ${key}` },
        ...((await has(dir, 'history.csv')) ? { history: path.join(dir, 'history.csv') } : {}),
      };
    }
    reasons.push(`no cache entry starts with '${prefix}'`);
  }
  if (!inputs.baselineWorkflow && !inputs.baselineCacheKey) reasons.push('no baseline, baseline-workflow or baseline-cache-key was given');
  return { source: { missing: reasons.join('; ') } };
}

async function fromWorkflow(
  inputs: ReportInputs,
  workflow: string,
  context: RunContext,
  work: string,
  logger: Logger,
): Promise<FoundBaseline | { reason: string }> {
  const branch = inputs.baselineBranch ?? context.baseRef ?? context.defaultBranch;
  if (!branch) return { reason: `baseline-branch is empty and the event names no base or default branch` };
  if (!context.repository) return { reason: 'GITHUB_REPOSITORY is not set' };
  if (!inputs.token) return { reason: 'github-token is empty, so the runs of baseline-workflow cannot be listed' };
  const { owner, repo } = context.repository;
  try {
    const run = await latestSuccessfulRun({ token: inputs.token, owner, repo, workflow, branch, excludeRunId: context.runId });
    if (!run) return { reason: `workflow ${workflow} has no successful run on ${branch}` };
    const dir = await downloadFromRun({
      token: inputs.token,
      owner,
      repo,
      runId: run.id,
      name: inputs.baselineArtifact,
      directory: path.join(work, 'artifact'),
    });
    if (!dir) return { reason: `run ${run.id} of ${workflow} (${branch}) has no artifact '${inputs.baselineArtifact}'` };
    const perfCsv = await findFile(dir, 'perf.csv');
    if (!perfCsv) return { reason: `artifact '${inputs.baselineArtifact}' of run ${run.id} holds no perf.csv` };
    const history = await findFile(dir, 'history.csv');
    return {
      source: { file: perfCsv, description: `artifact ${inputs.baselineArtifact} of ${workflow} run ${run.id} on ${branch} (${run.headSha.slice(0, 7)})` },
      ...(history ? { history } : {}),
      sha: run.headSha,
    };
  } catch (error) {
    if (error instanceof ConfigError) throw error; // e.g. no such workflow: the input is wrong
    logger.warn(`baseline from workflow ${workflow} could not be fetched: ${errorMessage(error)}`);
    return { reason: `fetching it from workflow ${workflow} failed (${errorMessage(error)})` };
  }
}

/** Saves perf.csv and history.csv as a new cache entry; on pull requests only when asked (save-baseline: true). */
async function saveBaseline(inputs: ReportInputs, context: RunContext, files: { perfCsv: string; historyCsv?: string }, logger: Logger): Promise<void> {
  if (!inputs.baselineCacheKey || inputs.saveBaseline === 'false') return;
  // auto: only runs of the repository's own code and data; a pull request (or a workflow_run reporter of
  // one, whose data a fork wrote) must never become the baseline every pull request restores.
  if (inputs.saveBaseline === 'auto' && !['push', 'schedule', 'workflow_dispatch'].includes(context.eventName)) return;
  const dir = path.resolve(workspace(), CACHE_DIR);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(files.perfCsv, path.join(dir, 'perf.csv'));
  if (files.historyCsv) await cp(files.historyCsv, path.join(dir, 'history.csv'));
  // One new entry per run attempt (entries are immutable): restoring by prefix takes the newest.
  const key = `${inputs.baselineCacheKey}-${context.runId}-${context.runAttempt}`;
  if (await saveEntry([CACHE_DIR], key, logger)) logger.info(`saved the results as baseline cache entry ${key}`);
}

async function comment(report: Report, changed: boolean, inputs: ReportInputs, context: RunContext, logger: Logger): Promise<string | undefined> {
  if (inputs.comment === 'off') return undefined;
  if (!context.repository) return undefined;
  if (!inputs.token) {
    logger.warn('github-token is empty: no pull request comment (the job summary has the report)');
    return undefined;
  }
  const { owner, repo } = context.repository;
  const number = inputs.pullRequest ?? context.pullRequest ?? (await findPullRequest({ token: inputs.token, owner, repo, context, logger }));
  if (number === undefined) {
    logger.info(`no pull request to comment on (event ${context.eventName}); the job summary has the report`);
    return undefined;
  }
  report.meta.pullRequest = number;
  const result = await upsertComment({
    token: inputs.token,
    owner,
    repo,
    issueNumber: number,
    key: inputs.commentKey ? `${context.workflow}/${inputs.commentKey}` : context.workflow,
    body: renderComment(report),
    mode: inputs.comment,
    changed,
    logger,
  });
  if (result.action === 'skipped') logger.info('nothing changed and no comment exists yet: no comment (comment: on-change)');
  if (result.url) logger.info(`${result.action} the pull request comment: ${result.url}`);
  return result.url;
}

async function has(dir: string, name: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [] as string[])).includes(name);
}

/** The file `name` at the top of `dir` or in one of its subdirectories (artifacts keep their folder layout). */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const matches = entries
    .filter((entry) => entry.isFile() && entry.name === name)
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  return matches[0];
}
