/**
 * `active_firewall`: which firewall manages the host's packet filter now:
 * `ufw` (installed and "Status: active"), `firewalld` (firewall-cmd --state
 * says running), else `iptables` when the iptables command exists, else
 * `none`. Installed but inactive ufw/firewalld do not count: rules given to
 * them would not apply.
 */
import { defineFact } from './types.js';

export type ActiveFirewall = 'ufw' | 'firewalld' | 'iptables' | 'none';

export const ACTIVE_FIREWALL_COMMAND = [
  "if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then echo ufw",
  "elif command -v firewall-cmd >/dev/null 2>&1 && [ \"$(firewall-cmd --state 2>/dev/null)\" = running ]; then echo firewalld",
  'elif command -v iptables >/dev/null 2>&1; then echo iptables',
  'else echo none; fi',
].join('\n');

export const activeFirewall = defineFact<Record<string, never>, ActiveFirewall>({
  name: 'active_firewall',
  command: () => ACTIVE_FIREWALL_COMMAND,
  parse(result) {
    const said = result.stdout.trim();
    return said === 'ufw' || said === 'firewalld' || said === 'iptables' ? said : 'none';
  },
});
