/**
 * Runs a program inside a lab host from the controller, as a root shell on
 * that host would: in the host's mount, UTS and network namespaces (entered
 * through its sshd's pid), with a login-like environment.
 */
import { runLocal, type LocalCommandOptions, type LocalCommandResult } from './local-command.js';

export function runInHost(hostPid: number, argv: readonly string[], options: LocalCommandOptions = {}): Promise<LocalCommandResult> {
  return runLocal('nsenter', ['-t', String(hostPid), '-m', '-u', '-n', '--wd=/', '--', ...argv], {
    ...options,
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', ...options.env },
  });
}
