/**
 * A zod issue as one line of an error message. Every schema user (catalogue models, the additional
 * context, build and batch manifests) goes through formatIssue: where the problem is, and whether the
 * key was left out or its value is wrong (and what that value is), are worked out here once; the
 * caller only chooses the words.
 */
import type { z } from 'zod';
import { isPlainObject } from './object.ts';

export type Issue = z.core.$ZodIssue;

export interface IssueWording {
  /** How the issue's key path is written (default dottedPath: `a.b.0`, '' at the top level). */
  path?: (path: readonly PropertyKey[]) => string;
  /** The message when nothing was given at `at`: a required key left out. */
  missing: (at: string, issue: Issue) => string;
  /** The message when `value` was given at `at` and the schema rejected it. */
  invalid: (at: string, value: unknown, issue: Issue) => string;
}

/** `a.b.0`: the key path joined with dots. */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** The value at `path` in `input` (own keys and array indices only); undefined when there is none. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current) && Object.hasOwn(current, String(segment))) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

/** One issue of parsing `input`, worded by `wording`. */
export function formatIssue(issue: Issue, input: unknown, wording: IssueWording): string {
  const at = (wording.path ?? dottedPath)(issue.path);
  const value = valueAt(input, issue.path);
  return value === undefined ? wording.missing(at, issue) : wording.invalid(at, value, issue);
}
