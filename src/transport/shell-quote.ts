/**
 * POSIX shell quoting. Every value that reaches a remote shell goes through
 * quote(): single quotes make everything literal except the single quote
 * itself, which is closed, escaped and reopened. No value can run anything.
 */
export function quote(value: string | number): string {
  const text = String(value);
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces: quoteArgs(['docker', 'node', 'update', name]). */
export function quoteArgs(words: readonly (string | number)[]): string {
  return words.map(quote).join(' ');
}

/**
 * A whole command line from its words, the first being the program:
 * as quoteArgs(), except that a first word like NAME=value is quoted too.
 * Bare, the shell would take it as an assignment and run the next word
 * instead (`LD_PRELOAD=/x.so ls`); quoted, it is a program name, as in
 * Ansible's command module, which executes its first word.
 */
export function quoteCommandLine(words: readonly (string | number)[]): string {
  const [program, ...args] = words.map(String);
  if (program === undefined) return '';
  const first = /^[A-Za-z_][A-Za-z0-9_]*=/.test(program) ? `'${program.replace(/'/g, `'\\''`)}'` : quote(program);
  return [first, ...args.map(quote)].join(' ');
}
