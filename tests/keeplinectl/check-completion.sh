#!/usr/bin/env bash
# The bash completion of keeplinectl offers its commands, lines and transports.
set -euo pipefail
source "$1"

complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _keeplinectl
  echo "${COMPREPLY[*]}"
}

expect() {
  local want=$1 got
  shift
  got=$(complete_words "$@")
  if [[ $got != "$want" ]]; then
    echo "completing '$*': expected '$want', got '$got'" >&2
    exit 1
  fi
}

expect "status servers" keeplinectl s
expect "register reload resolve" keeplinectl re
expect "monitor" keeplinectl --json mon
expect "1 2 3 4 5 6 7 8 9" keeplinectl line ""
expect "tcp tls" keeplinectl resolve pbx.example.com t
expect "--sdp" keeplinectl dial 1 1002 --s
echo "ok"
