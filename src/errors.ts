/**
 * One error type for the whole tool. Every failure that reaches the user is a
 * SwarmplayError with a code; the code decides the exit status, and errors
 * about user input carry the file, line and column they point at.
 */

export type ErrorCode =
  // bad input: exit 5, nothing connected, nothing changed
  | 'YAML_SYNTAX'
  | 'FILE_NOT_FOUND'
  | 'UNKNOWN_MODULE'
  | 'UNKNOWN_KEYWORD'
  | 'BAD_ARGUMENT'
  | 'BAD_PLAYBOOK'
  | 'BAD_INVENTORY'
  | 'BAD_PATTERN'
  | 'BAD_OPTION'
  | 'UNDEFINED_VARIABLE'
  | 'EXPRESSION_SYNTAX'
  | 'TEMPLATE_SYNTAX'
  /** vault data that cannot be decrypted: no password, a wrong one, damaged text */
  | 'BAD_VAULT'
  // runtime, per host
  | 'EXPRESSION_ERROR'
  | 'CONNECT_FAILED'
  | 'AUTH_FAILED'
  | 'HOST_KEY_CHANGED'
  | 'HOST_KEY_UNKNOWN'
  | 'CONNECTION_LOST'
  | 'COMMAND_FAILED'
  | 'MODULE_FAILED'
  | 'TIMEOUT'
  // controller
  | 'LAB_FAILED'
  | 'LOCKED'
  | 'INTERRUPTED'
  | 'INTERNAL';

/** Exit codes as ansible-playbook's. */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  HOST_FAILED: 2,
  HOST_UNREACHABLE: 4,
  BAD_INPUT: 5,
  INTERRUPTED: 99,
} as const;

const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'YAML_SYNTAX', 'FILE_NOT_FOUND', 'UNKNOWN_MODULE', 'UNKNOWN_KEYWORD', 'BAD_ARGUMENT',
  'BAD_PLAYBOOK', 'BAD_INVENTORY', 'BAD_PATTERN', 'BAD_OPTION', 'UNDEFINED_VARIABLE',
  'EXPRESSION_SYNTAX', 'TEMPLATE_SYNTAX', 'BAD_VAULT',
]);

export interface SourceLocation {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export interface SwarmplayErrorOptions {
  location?: SourceLocation;
  /** What would be right, said to the user ("did you mean 'copy'?"). */
  hint?: string;
  /** A few lines of the source around the location, with a caret. */
  snippet?: string;
  cause?: unknown;
}

export class SwarmplayError extends Error {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;
  readonly hint?: string;
  readonly snippet?: string;

  constructor(code: ErrorCode, message: string, options: SwarmplayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwarmplayError';
    this.code = code;
    this.location = options.location;
    this.hint = options.hint;
    this.snippet = options.snippet;
  }

  get isBadInput(): boolean {
    return BAD_INPUT_CODES.has(this.code);
  }

  get exitCode(): number {
    if (this.isBadInput) return EXIT.BAD_INPUT;
    if (this.code === 'INTERRUPTED') return EXIT.INTERRUPTED;
    return EXIT.ERROR;
  }

  /** "file:line:column: message", the snippet, then the hint. */
  format(): string {
    const where = this.location
      ? `${this.location.file}:${this.location.line}:${this.location.column}: `
      : '';
    const parts = [`${where}${this.message}`];
    if (this.snippet) parts.push(this.snippet);
    if (this.hint) parts.push(this.hint);
    return parts.join('\n');
  }
}

/** A few lines of `source` around `line` (1-based) with a caret under `column`. */
export function snippetAt(source: string, line: number, column: number, context = 1): string {
  const lines = source.split('\n');
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    out.push(`${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
    if (n === line) out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}
