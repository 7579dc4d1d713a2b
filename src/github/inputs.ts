/**
 * Action inputs with errors that name the input and say what is valid. Thin over @actions/core,
 * so the real runner contract (INPUT_<NAME> env) is what gets exercised.
 */
import * as core from '@actions/core';
import { ConfigError } from '../core/errors.ts';

export function stringInput(name: string, options: { required?: boolean } = {}): string {
  const value = core.getInput(name).trim();
  if (options.required && value === '') throw new ConfigError(`input '${name}' is required`);
  return value;
}

export function optionalInput(name: string): string | undefined {
  const value = core.getInput(name).trim();
  return value === '' ? undefined : value;
}

export function booleanInput(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new ConfigError(`input '${name}': got ${JSON.stringify(core.getInput(name))}, expected true or false`);
}

export function integerInput(name: string, fallback: number): number {
  const value = core.getInput(name).trim();
  if (value === '') return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`input '${name}': got ${JSON.stringify(value)}, expected a whole number`);
  return Number(value);
}

/** A JSON input; the error names the input and the position of the syntax error. */
export function jsonInput<T = unknown>(name: string, options: { required?: boolean } = {}): T | undefined {
  const value = stringInput(name, options);
  if (value === '') return undefined;
  try {
    return JSON.parse(value) as T;
  } catch (error) {
    throw new ConfigError(`input '${name}' is not valid JSON: ${(error as Error).message}`);
  }
}

/** Newline- or comma-separated list (the convention of docker/build-push-action). */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}
