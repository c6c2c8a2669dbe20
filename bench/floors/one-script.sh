#!/bin/sh
# Floor 2: one SSH command per host carrying all 31 operations of
# operations.txt as one script: the cost of the work itself, with no
# per-operation round trip.
# Usage: one-script.sh ADDRESS PRIVATE_KEY   (the bench runs one per host, in parallel)
set -eu
address=$1
key=$2
here=$(dirname "$0")
exec ssh -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
  "root@$address" 'sh -es' < "$here/operations.txt"
