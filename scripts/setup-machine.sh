#!/usr/bin/env bash
# Installs the Debian packages swarmplay's lab and tests need, only when missing.
# ansible (not only ansible-core): the comparisons with Ansible use its json callback (ansible.posix)
# and the bootstrap benchmark its community.docker modules.
# mmdebstrap and apt-utils: the bare lab builds its hosts' Debian root and its package mirror with them.
# python3-docker: the Docker SDK ansible-playbook's community.docker modules need (the lab hosts share the machine's /usr).
# chromium: the page tests of `swarmplay ui` drive it headless through playwright-core (never a downloaded browser).
# Idempotent and quiet when everything is there already.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for pkg in sudo openssh-server openssh-client docker.io docker-registry busybox-static iproute2 ansible sshpass openssl util-linux time mmdebstrap apt-utils python3-docker chromium; do
  have "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "swarmplay: missing Debian packages: ${need[*]}; run as root, or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "swarmplay: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # docker.io's and openssh-server's postinst would start a machine-wide dockerd and sshd:
  # the lab starts its own, per host. policy-rc.d tells invoke-rc.d not to start anything.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
