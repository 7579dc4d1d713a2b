/**
 * The report templates (templates/report/*.njk, bundled as text) and the two nunjucks environments
 * that render them: markdown with autoescape off, where every value goes through an explicit escape
 * filter (`md`, `mermaid`, `url`), and HTML with autoescape on. Templates may import each other by name.
 */
import nunjucks from 'nunjucks';
import { escapeMarkdown, escapeMermaid, safeUrl } from './escape.ts';
import commentMd from '../../../templates/report/comment.md.njk';
import partsMd from '../../../templates/report/parts.md.njk';
import summaryMd from '../../../templates/report/summary.md.njk';
import csvHtml from '../../../templates/report/csv.html.njk';
import digestHtml from '../../../templates/report/digest.html.njk';
import reportHtml from '../../../templates/report/report.html.njk';
import styleHtml from '../../../templates/report/style.html.njk';

/** Every template by name; *.md.njk render without autoescape, *.html.njk with it. */
export const REPORT_TEMPLATES: Readonly<Record<string, string>> = {
  'comment.md.njk': commentMd,
  'parts.md.njk': partsMd,
  'summary.md.njk': summaryMd,
  'csv.html.njk': csvHtml,
  'digest.html.njk': digestHtml,
  'report.html.njk': reportHtml,
  'style.html.njk': styleHtml,
};

/** The filters a markdown template may end an interpolation with. */
export const MARKDOWN_FILTERS = ['md', 'mermaid', 'url'] as const;

const loader: nunjucks.ILoader = {
  getSource(name) {
    const src = REPORT_TEMPLATES[name];
    if (src === undefined) throw new Error(`no report template '${name}'`);
    return { src, path: `templates/report/${name}`, noCache: false };
  },
};

let environments: { markdown: nunjucks.Environment; html: nunjucks.Environment } | undefined;

function environment(name: string): nunjucks.Environment {
  if (environments === undefined) {
    const options = { throwOnUndefined: true, trimBlocks: true, lstripBlocks: true };
    const markdown = new nunjucks.Environment(loader, { ...options, autoescape: false });
    markdown.addFilter('md', (value: unknown, max?: number) => escapeMarkdown(value, max));
    markdown.addFilter('mermaid', (value: unknown) => escapeMermaid(value));
    markdown.addFilter('url', (value: unknown) => safeUrl(value) ?? '');
    const html = new nunjucks.Environment(loader, { ...options, autoescape: true });
    html.addFilter('url', (value: unknown) => safeUrl(value) ?? '');
    environments = { markdown, html };
  }
  return name.endsWith('.md.njk') ? environments.markdown : environments.html;
}

/** Renders a template of REPORT_TEMPLATES with `context` (without the blank lines its header comment and imports leave). */
export function renderReportTemplate(name: string, context: object): string {
  return environment(name).render(name, context).replace(/^\n+/, '');
}
