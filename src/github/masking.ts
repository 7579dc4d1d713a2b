/** Log masking on the runner: every value registered here is shown as *** in the job log. */
import * as core from '@actions/core';

export function maskValues(values: Iterable<string>): void {
  for (const value of values) if (value) core.setSecret(value);
}
