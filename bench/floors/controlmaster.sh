#!/bin/sh
# Floor 1: OpenSSH with one ControlMaster for this host and each of
# the 31 operations in operations.txt as its own remote command, one after
# the other, as a runner without a remote agent would send them.
# Usage: controlmaster.sh ADDRESS PRIVATE_KEY   (the bench runs one per host, in parallel)
set -eu
address=$1
key=$2
here=$(dirname "$0")
socket=$(mktemp -u "${TMPDIR:-/tmp}/bench-cm-XXXXXX")
ssh_opts="-i $key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlPath=$socket"
# The master: one connection and authentication for the host.
ssh $ssh_opts -o ControlMaster=yes -o ControlPersist=60 -fN "root@$address"
trap 'ssh $ssh_opts -O exit "root@$address" 2>/dev/null' EXIT
while IFS= read -r operation; do
  ssh $ssh_opts -o ControlMaster=no "root@$address" "$operation" </dev/null
done < "$here/operations.txt"
