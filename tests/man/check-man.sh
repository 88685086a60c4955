#!/usr/bin/env bash
# Renders every man page given, as man(1) does at 80 columns and as groff
# does at a narrow width, and fails on any warning.
set -euo pipefail
export LC_ALL=C.UTF-8
status=0
for page in "$@"; do
  warnings=$( { MANWIDTH=80 man --warnings=w -l "$page" >/dev/null; } 2>&1 ||
              echo "man failed on $page")
  warnings+=$(groff -man -ww -z -Tutf8 -rLL=60n "$page" 2>&1 || echo "groff failed on $page")
  if [[ -n $warnings ]]; then
    echo "$page:"
    echo "$warnings"
    status=1
  else
    echo "ok $(basename "$page")"
  fi
done
exit $status
