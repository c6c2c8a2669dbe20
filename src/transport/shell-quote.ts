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
