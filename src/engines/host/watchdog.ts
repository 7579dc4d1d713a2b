/**
 * A host model must die with the tool, even when the tool is killed with SIGKILL and has no chance
 * to kill it. The model runs under this small bash watchdog, which holds the read end of a pipe
 * from the tool (its stdin; the tool never writes to it) and kills its own process group, the
 * model's, when that pipe reaches end-of-file: the kernel closes the tool's end when the tool dies.
 * The model itself gets /dev/null as stdin and never sees the pipe.
 */

/** Seconds the model gets between SIGTERM and SIGKILL once the tool is gone. */
export const WATCHDOG_GRACE_SECONDS = 2;

// $1 is the model's run script. The watchdog leads the process group (the tool spawns it detached),
// so `kill 0` reaches the model and everything it started, and a timeout's group kill reaches the watchdog.
const WATCHDOG = [
  'exec 3<&0 </dev/null',
  'bash -c "$1" 3<&- &',
  'model=$!',
  // The tool never writes: read returns only at end-of-file, when the tool died.
  `{ read -r -u 3 _ || true; trap '' TERM; kill -TERM 0; sleep ${WATCHDOG_GRACE_SECONDS}; kill -KILL 0; } &`,
  'watcher=$!',
  'exec 3<&-',
  'wait "$model"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

/** `bash` arguments that run `script` under the watchdog; spawn them with the tool's lifeline as stdin. */
export function watchdogArgs(script: string): string[] {
  return ['-c', WATCHDOG, 'madengine-watchdog', script];
}
