/**
 * An in-process fake of the GitHub REST API routes collect-perf uses, for the REAL Octokit of
 * @actions/github@9 (nock cannot intercept its undici fetch): point it here with `apiUrl`/`baseUrl`,
 * or GITHUB_API_URL for @actions/artifact's cross-run download (which reads it when @actions/github
 * is first loaded). Strict like the real API:
 * - every request needs `Authorization: token|Bearer <token>` of a known token (401 otherwise); a
 *   token has a user ({login, type}) and permissions; a missing permission is GitHub's 403
 *   "Resource not accessible by integration" (what a fork pull request's read-only token gets on writes);
 * - issue comments: list (per_page <= 100, page, Link header), create, PATCH by id; 404 for an
 *   unknown repository, issue or comment; 422 for an empty body or one over 65,536 characters;
 * - workflow runs of a workflow (file name or numeric id; 404 if unknown), filtered by branch and
 *   status (a status or a conclusion), newest first, paginated;
 * - run artifacts (filter by name, paginated) and `GET /actions/artifacts/{id}/zip` answering 302 to
 *   a signed blob URL, exactly what @actions/artifact's `findBy` download follows.
 * Artifacts are not seeded as bytes: a test uploads them through the results-service fake with the
 * REAL client (as the run's job would have), under the run's backend id, and this API lists that
 * run's finalized artifacts from there and redirects to their blobs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResultsService } from './results-service.ts';

export type Access = 'read' | 'write';

export interface TokenGrant {
  user: { login: string; type: 'Bot' | 'User' };
  /** GITHUB_TOKEN-style permissions; absent is none. */
  permissions: { issues?: Access; pull_requests?: Access; actions?: Access };
}

/** The workflow token of a same-repository run, and what a pull request from a fork gets instead. */
export const BOT = { login: 'github-actions[bot]', type: 'Bot' } as const;
export const WORKFLOW_TOKEN: TokenGrant = { user: BOT, permissions: { issues: 'write', pull_requests: 'write', actions: 'read' } };
export const FORK_TOKEN: TokenGrant = { user: BOT, permissions: { issues: 'read', pull_requests: 'read', actions: 'read' } };

export interface SeedRun {
  id: number;
  /** The workflow's file name, e.g. nightly.yml. */
  workflow: string;
  branch: string;
  headSha: string;
  status?: 'completed' | 'in_progress' | 'queued';
  conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped' | null;
  event?: string;
  /** ISO 8601; default: later than every run seeded before. */
  createdAt?: string;
  /** The results service's run id its artifacts were uploaded under (default: String(id)). */
  backendId?: string;
}

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: string };
  createdAt: string;
  updatedAt: string;
}

export interface GitHubApi {
  /** e.g. http://127.0.0.1:41234 (the API base URL). */
  url: string;
  owner: string;
  repo: string;
  addIssue(number: number, options?: { pullRequest?: boolean }): void;
  /** An open pull request (also an issue) whose head is `headOwner:headRef` at `headSha` (a fork when headOwner is not the owner). */
  addPullRequest(pull: { number: number; headSha: string; headRef: string; headOwner: string }): void;
  /** A comment written by someone else (a person, another bot), as if made in the UI. */
  addComment(issue: number, body: string, user?: { login: string; type: 'Bot' | 'User' }): StoredComment;
  comments(issue: number): StoredComment[];
  /** A workflow with no runs yet (runs add their workflow themselves). */
  addWorkflow(file: string): number;
  addRun(run: SeedRun): void;
  /** Every request, in order: method, path and query (for asserting how the client paged). */
  requests: { method: string; path: string; query: Record<string, string> }[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DOCS = 'https://docs.github.com/rest';
const MAX_COMMENT_CHARS = 65_536;

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString() || 'null');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the 400 below
  }
  throw new HttpError(400, 'Problems parsing JSON');
}

export async function startGitHubApi(options: {
  owner?: string;
  repo?: string;
  tokens: Record<string, TokenGrant>;
  /** Where the runs' artifacts live; without it every run has none. */
  results?: ResultsService;
}): Promise<GitHubApi> {
  const owner = options.owner ?? 'octo-org';
  const repo = options.repo ?? 'octo-repo';
  const issues = new Map<number, { pullRequest: boolean }>();
  const comments: StoredComment[] = [];
  const pulls: { number: number; headSha: string; headRef: string; headOwner: string }[] = [];
  const workflows = new Map<string, number>();
  const runs: (Required<Omit<SeedRun, 'conclusion'>> & { conclusion: SeedRun['conclusion'] })[] = [];
  const requests: GitHubApi['requests'] = [];
  let nextCommentId = 1_000_001;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let origin = '';
  const tick = () => new Date((clock += 1000)).toISOString();
  const web = `https://github.com/${owner}/${repo}`;

  const addWorkflow = (file: string): number => {
    if (!workflows.has(file)) workflows.set(file, 160_000 + workflows.size);
    return workflows.get(file)!;
  };

  function grantOf(request: IncomingMessage): TokenGrant {
    const header = request.headers.authorization;
    if (!header) throw new HttpError(401, 'Requires authentication');
    const token = /^(?:token|Bearer) (\S+)$/i.exec(header)?.[1];
    const grant = token ? options.tokens[token] : undefined;
    if (!grant) throw new HttpError(401, 'Bad credentials');
    return grant;
  }

  function need(grant: TokenGrant, access: Access, ...scopes: (keyof TokenGrant['permissions'])[]): void {
    const allowed = scopes.some((scope) => {
      const has = grant.permissions[scope];
      return has === 'write' || (access === 'read' && has === 'read');
    });
    if (!allowed) throw new HttpError(403, 'Resource not accessible by integration');
  }

  /** per_page (default 30, at most 100) and page (from 1) of `items`, with GitHub's Link header. */
  function paginate<T>(url: URL, items: T[], response: ServerResponse): T[] {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string) => {
      const target = new URL(url.pathname + url.search, origin);
      target.searchParams.set('per_page', String(perPage));
      target.searchParams.set('page', String(n));
      return `<${target.href}>; rel="${rel}"`;
    };
    const links = [...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []), ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : [])];
    if (links.length) response.setHeader('link', links.join(', '));
    return items.slice((page - 1) * perPage, page * perPage);
  }

  const commentJson = (comment: StoredComment) => {
    const kind = issues.get(comment.issue)?.pullRequest ? 'pull' : 'issues';
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${origin}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
      html_url: `${web}/${kind}/${comment.issue}#issuecomment-${comment.id}`,
      issue_url: `${origin}/repos/${owner}/${repo}/issues/${comment.issue}`,
      body: comment.body,
      user: { login: comment.user.login, id: comment.user.login.length, type: comment.user.type },
      author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
    };
  };

  function checkBody(body: unknown): string {
    const errors = (message: string) =>
      new HttpError(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message }] });
    if (typeof body !== 'string' || body === '') throw errors('body cannot be blank');
    if (body.length > MAX_COMMENT_CHARS) throw errors(`body is too long (maximum is ${MAX_COMMENT_CHARS} characters)`);
    return body;
  }

  const runJson = (run: (typeof runs)[number]) => ({
    id: run.id,
    node_id: `WFR_${run.id}`,
    name: run.workflow.replace(/\.ya?ml$/, ''),
    head_branch: run.branch,
    head_sha: run.headSha,
    path: `.github/workflows/${run.workflow}`,
    display_title: `run ${run.id}`,
    run_number: run.id % 1000,
    run_attempt: 1,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: workflows.get(run.workflow),
    url: `${origin}/repos/${owner}/${repo}/actions/runs/${run.id}`,
    html_url: `${web}/actions/runs/${run.id}`,
    artifacts_url: `${origin}/repos/${owner}/${repo}/actions/runs/${run.id}/artifacts`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.createdAt,
    run_started_at: run.createdAt,
  });

  function runArtifacts(run: (typeof runs)[number]) {
    return (options.results?.artifacts() ?? [])
      .filter((artifact) => artifact.runId === run.backendId)
      .map((artifact) => ({
        id: artifact.id,
        node_id: `MDg6QXJ0aWZhY3Q${artifact.id}`,
        name: artifact.name,
        size_in_bytes: artifact.size,
        url: `${origin}/repos/${owner}/${repo}/actions/artifacts/${artifact.id}`,
        archive_download_url: `${origin}/repos/${owner}/${repo}/actions/artifacts/${artifact.id}/zip`,
        expired: false,
        digest: artifact.digest,
        created_at: run.createdAt,
        updated_at: run.createdAt,
        expires_at: new Date(Date.parse(run.createdAt) + 90 * 86_400_000).toISOString(),
        workflow_run: { id: run.id, head_branch: run.branch, head_sha: run.headSha },
      }));
  }

  /** One route; returns [status, body] or writes the response itself (the redirect). */
  async function route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<[number, unknown] | undefined> {
    const grant = grantOf(request);
    const method = request.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'repos' || parts[1] !== owner || parts[2] !== repo) throw new HttpError(404, 'Not Found');
    const rest = parts.slice(3).join('/');
    let match: RegExpExecArray | null;

    if ((match = /^issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(match[1]);
      if (!issues.has(issue)) throw new HttpError(404, 'Not Found');
      if (method === 'GET') {
        need(grant, 'read', 'issues', 'pull_requests');
        return [
          200,
          paginate(
            url,
            comments.filter((c) => c.issue === issue),
            response,
          ).map(commentJson),
        ];
      }
      if (method === 'POST') {
        const body = await readJson(request);
        need(grant, 'write', 'issues', 'pull_requests');
        const now = tick();
        const comment = { id: nextCommentId++, issue, body: checkBody(body.body), user: { ...grant.user }, createdAt: now, updatedAt: now };
        comments.push(comment);
        return [201, commentJson(comment)];
      }
    }
    if ((match = /^issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const comment = comments.find((c) => c.id === Number(match![1]));
      if (!comment) throw new HttpError(404, 'Not Found');
      const body = await readJson(request);
      need(grant, 'write', 'issues', 'pull_requests');
      // As on GitHub, write access may edit anyone's comment: not editing a person's is the client's job.
      comment.body = checkBody(body.body);
      comment.updatedAt = tick();
      return [200, commentJson(comment)];
    }
    if (rest === 'pulls' && method === 'GET') {
      need(grant, 'read', 'pull_requests');
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const listed = state === 'closed' ? [] : pulls.filter((pull) => !head || `${pull.headOwner}:${pull.headRef}` === head);
      return [
        200,
        paginate(url, listed, response).map((pull) => ({
          number: pull.number,
          state: 'open',
          head: { sha: pull.headSha, ref: pull.headRef, label: `${pull.headOwner}:${pull.headRef}`, repo: { full_name: `${pull.headOwner}/${repo}` } },
          base: { ref: 'main', repo: { full_name: `${owner}/${repo}` } },
        })),
      ];
    }
    if ((match = /^actions\/workflows\/([^/]+)\/runs$/.exec(rest)) && method === 'GET') {
      need(grant, 'read', 'actions');
      const wanted = match[1]!;
      const file = /^\d+$/.test(wanted) ? [...workflows].find(([, id]) => String(id) === wanted)?.[0] : workflows.has(wanted) ? wanted : undefined;
      if (!file) throw new HttpError(404, 'Not Found');
      const branch = url.searchParams.get('branch');
      const status = url.searchParams.get('status');
      const selected = runs
        .filter((run) => run.workflow === file && (!branch || run.branch === branch) && (!status || run.status === status || run.conclusion === status))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
      return [200, { total_count: selected.length, workflow_runs: paginate(url, selected, response).map(runJson) }];
    }
    if ((match = /^actions\/runs\/(\d+)\/artifacts$/.exec(rest)) && method === 'GET') {
      need(grant, 'read', 'actions');
      const run = runs.find((r) => r.id === Number(match![1]));
      if (!run) throw new HttpError(404, 'Not Found');
      const name = url.searchParams.get('name');
      const listed = runArtifacts(run).filter((artifact) => !name || artifact.name === name);
      return [200, { total_count: listed.length, artifacts: paginate(url, listed, response) }];
    }
    if ((match = /^actions\/artifacts\/(\d+)\/zip$/.exec(rest)) && method === 'GET') {
      need(grant, 'read', 'actions');
      const id = Number(match[1]);
      const owned = runs.some((run) => runArtifacts(run).some((artifact) => artifact.id === id));
      const location = owned ? options.results?.downloadUrl(id) : undefined;
      if (!location) throw new HttpError(404, 'Not Found');
      response.writeHead(302, { location, 'content-length': 0 });
      response.end();
      return undefined;
    }
    throw new HttpError(404, 'Not Found');
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    requests.push({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    };
    route(request, response, url)
      .then((result) => {
        if (result) send(...result);
      })
      .catch((error: unknown) => {
        if (error instanceof HttpError)
          return send(error.status, { message: error.message, ...error.extra, documentation_url: DOCS, status: String(error.status) });
        // A bug in the fake: a 422 is not retried, so the test fails at once with the cause.
        send(422, { message: `fake GitHub API: ${String(error)}` });
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    owner,
    repo,
    addIssue: (number, issueOptions = {}) => void issues.set(number, { pullRequest: issueOptions.pullRequest ?? true }),
    addPullRequest(pull) {
      issues.set(pull.number, { pullRequest: true });
      pulls.push(pull);
    },
    addComment(issue, body, user = { login: 'octocat', type: 'User' }) {
      if (!issues.has(issue)) throw new Error(`fake GitHub API: add issue #${issue} first`);
      const now = tick();
      const comment = { id: nextCommentId++, issue, body, user, createdAt: now, updatedAt: now };
      comments.push(comment);
      return comment;
    },
    comments: (issue) => comments.filter((c) => c.issue === issue).map((c) => ({ ...c, user: { ...c.user } })),
    addWorkflow,
    addRun(run) {
      addWorkflow(run.workflow);
      runs.push({
        status: 'completed',
        event: 'schedule',
        backendId: String(run.id),
        ...run,
        conclusion: run.conclusion === undefined ? 'success' : run.conclusion,
        createdAt: run.createdAt ?? tick(),
      });
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
