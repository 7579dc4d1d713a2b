/**
 * The logging seam between the core and its front ends: the CLI prints to the terminal,
 * the actions map the same calls onto @actions/core (groups, annotations, masking).
 */
export interface Logger {
  info(message: string): void;
  warn(message: string, where?: { file?: string; line?: number; column?: number }): void;
  error(message: string, where?: { file?: string; line?: number; column?: number }): void;
  debug(message: string): void;
  /** Runs `fn` inside a collapsible section (a log group on GitHub). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export function consoleLogger(options: { verbose?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const out = options.stream ?? process.stderr;
  const where = (w?: { file?: string; line?: number; column?: number }): string =>
    w?.file ? `${w.file}${w.line ? `:${w.line}${w.column ? `:${w.column}` : ''}` : ''}: ` : '';
  return {
    info: (message) => out.write(`${message}\n`),
    warn: (message, w) => out.write(`warning: ${where(w)}${message}\n`),
    error: (message, w) => out.write(`error: ${where(w)}${message}\n`),
    debug: (message) => {
      if (options.verbose) out.write(`debug: ${message}\n`);
    },
    group: async (title, fn) => {
      out.write(`== ${title}\n`);
      return fn();
    },
  };
}

/** `logger` with every message (and group title) passed through `redactor` first: no secret reaches a log line. */
export function redactingLogger(logger: Logger, redactor: { redact(text: string): string }): Logger {
  const clean = (text: string): string => redactor.redact(text);
  return {
    info: (message) => logger.info(clean(message)),
    warn: (message, where) => logger.warn(clean(message), where),
    error: (message, where) => logger.error(clean(message), where),
    debug: (message) => logger.debug(clean(message)),
    group: (title, fn) => logger.group(clean(title), fn),
  };
}
