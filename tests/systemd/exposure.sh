#!/bin/sh
# Each unit's exposure as `systemd-analyze security` scores its sandboxing
# (0 = fully confined, 10 = none), printed and held at or below the limit
# measured when the units were hardened (issue 12):
#   exposure.sh UNIT-FILE LIMIT [UNIT-FILE LIMIT]...
# --offline reads the unit files themselves, so no systemd needs to run.
set -eu
status=0
while [ $# -ge 2 ]; do
  unit=$1 limit=$2
  shift 2
  line=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1 | grep 'Overall exposure level') || {
    echo "$unit: systemd-analyze gave no exposure level" >&2
    status=1
    continue
  }
  level=$(echo "$line" | sed 's/.*: \([0-9.]*\) .*/\1/')
  if awk -v level="$level" -v limit="$limit" 'BEGIN { exit !(level <= limit) }'; then
    echo "$(basename "$unit"): exposure $level (limit $limit)"
  else
    echo "$(basename "$unit"): exposure $level is above its limit $limit" >&2
    status=1
  fi
done
exit $status
