/**
 * Action inputs with errors that name the input and say what is valid. Thin over @actions/core,
 * so the real runner contract (INPUT_<NAME> env) is what gets exercised. A reader only accepts
 * the names its action declares (each action's INPUT_NAMES, checked against its action.yml).
 */
import * as core from '@actions/core';
import { ConfigError } from '../core/errors.ts';

export interface InputReader<Name extends string> {
  /** Trimmed; '' when not given. */
  string(name: Name, options?: { required?: boolean }): string;
  /** Trimmed; undefined when not given or empty. */
  optional(name: Name): string | undefined;
  boolean(name: Name, fallback: boolean): boolean;
  integer(name: Name, fallback: number): number;
  /** A JSON input; the error names the input and the position of the syntax error. */
  /** Newline- or comma-separated list (the convention of docker/build-push-action). */
  list(name: Name): string[];
  /** An artifact name (undefined when not given), checked now so a bad one fails before any work, not at the upload. */
  artifactName(name: Name): string | undefined;
}

/** Characters the artifact service rejects in a name (@actions/artifact's validateArtifactName). */
const ARTIFACT_NAME_FORBIDDEN = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/'];

export function inputReader<Name extends string>(_names: readonly Name[]): InputReader<Name> {
  const string = (name: Name, options: { required?: boolean } = {}): string => {
    const value = core.getInput(name).trim();
    if (options.required && value === '') throw new ConfigError(`input '${name}' is required`);
    return value;
  };
  return {
    string,
    optional: (name) => string(name) || undefined,
    boolean(name, fallback) {
      const value = string(name).toLowerCase();
      if (value === '') return fallback;
      if (['true', 'yes', '1', 'on'].includes(value)) return true;
      if (['false', 'no', '0', 'off'].includes(value)) return false;
      throw new ConfigError(`input '${name}': got ${JSON.stringify(core.getInput(name))}, expected true or false`);
    },
    integer(name, fallback) {
      const value = string(name);
      if (value === '') return fallback;
      if (!/^-?\d+$/.test(value)) throw new ConfigError(`input '${name}': got ${JSON.stringify(value)}, expected a whole number`);
      return Number(value);
    },
    list: (name) =>
      core
        .getInput(name)
        .split(/[\n,]/)
        .map((item) => item.trim())
        .filter(Boolean),
    artifactName(name) {
      const value = string(name) || undefined;
      const bad = value === undefined ? [] : ARTIFACT_NAME_FORBIDDEN.filter((char) => value.includes(char));
      if (bad.length > 0) {
        throw new ConfigError(
          `input '${name}': artifact name ${JSON.stringify(value)} contains ${bad.map((char) => JSON.stringify(char)).join(', ')}; ` +
            `an artifact name cannot contain any of ${ARTIFACT_NAME_FORBIDDEN.map((char) => JSON.stringify(char)).join(' ')}`,
        );
      }
      return value;
    },
  };
}
