/**
 * A task's connection, as its keywords shape it: `environment:` exported
 * for every command it runs, and `become_user` (with `become_method` sudo or
 * su, and `become_flags`) running them as that user. The connection below
 * first becomes root as it always does (a no-op when connected as root);
 * the other user is reached from root, which needs no password, the way
 * Ansible's sudo and su become plugins build their commands:
 *
 *   sudo -H -S -n -u USER -- sh -c CMD     (become_flags replace "-H -S -n")
 *   su USER -c CMD                        (the user's own login shell runs it)
 *
 * Environment values are exported inside the wrapped command, so sudo's
 * env_reset cannot drop them.
 */
import type { Connection, PutFileOptions, RunOptions } from '../transport/types.js';
import { quote } from '../transport/shell-quote.js';
import type { BecomeMethod } from '../language/playbook.js';

export interface TaskCommandContext {
  environment?: Record<string, string>;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  becomeFlags?: string;
}

export function exportsFor(environment: Record<string, string> | undefined): string {
  const names = Object.keys(environment ?? {});
  if (!names.length) return '';
  return `export ${names.map((name) => `${name}=${quote(environment![name]!)}`).join(' ')}\n`;
}

function asUser(command: string, ctx: TaskCommandContext): string {
  const user = ctx.becomeUser!;
  if (ctx.becomeMethod === 'su') return `su ${ctx.becomeFlags ? `${ctx.becomeFlags} ` : ''}${quote(user)} -c ${quote(command)}`;
  return `sudo ${ctx.becomeFlags ?? '-H -S -n'} -u ${quote(user)} -- /bin/sh -c ${quote(command)}`;
}

/** Whether this context changes anything: most tasks get their connection as it is. */
export function shapesCommands(ctx: TaskCommandContext): boolean {
  return Boolean(exportsFor(ctx.environment)) || (ctx.becomeUser !== undefined && ctx.becomeUser !== 'root');
}

export function withTaskContext(conn: Connection, ctx: TaskCommandContext, taskBecome: boolean | undefined): Connection {
  const otherUser = ctx.becomeUser !== undefined && ctx.becomeUser !== 'root' ? ctx.becomeUser : undefined;
  const exports = exportsFor(ctx.environment);
  return {
    host: conn.host,
    run(command: string, options: RunOptions = {}) {
      const become = options.become ?? taskBecome ?? false;
      let shaped = exports + command;
      if (become && otherUser) shaped = asUser(shaped, ctx);
      return conn.run(shaped, { ...options, become, displayCommand: options.displayCommand ?? command });
    },
    putFile(path: string, content: string | Buffer, options: PutFileOptions = {}) {
      const become = options.become ?? taskBecome;
      // Written as root, owned by the user it would have been written as.
      return conn.putFile(path, content, become && otherUser ? { ...options, become, owner: options.owner ?? otherUser } : options);
    },
    getFile(path: string, options?: { become?: boolean }) {
      return conn.getFile(path, options);
    },
    close() {
      return conn.close();
    },
  };
}
