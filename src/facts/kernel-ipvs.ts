/**
 * `kernel_ipvs`: whether the kernel has IP_VS, which swarm's ingress routing
 * mesh needs: loaded (/proc/net/ip_vs, /sys/module/ip_vs) or loadable
 * (modprobe -n). Without it, ports published in ingress mode answer nowhere.
 */
import { defineFact } from './types.js';

export const IPVS_PROBE =
  'if [ -e /proc/net/ip_vs ] || [ -d /sys/module/ip_vs ] || modprobe -n -q ip_vs 2>/dev/null; then echo present; else echo absent; fi';

export const kernelIpvs = defineFact<Record<string, never>, boolean>({
  name: 'kernel_ipvs',
  command: () => IPVS_PROBE,
  // Only a clear "absent" warns: a host that cannot say is given the benefit of the doubt, as before.
  parse: (result) => result.stdout.trim() !== 'absent',
});
