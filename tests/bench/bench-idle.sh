#!/usr/bin/env bash
# Benchmark (not a test): sipd and baresip registering the same 9 accounts over
# TLS with SIP Outbound at one real Kamailio on 127.0.0.5, then idling.
#   tests/bench/bench-idle.sh [IDLE_SECONDS] [RUNS]     (defaults: 600 and 1)
# Prints, for each program: time from start until Kamailio holds all 9
# bindings, then over the idle period: private memory (RssAnon), PSS, VmRSS,
# CPU share, and voluntary context switches (wake-ups) per idle minute.
# sipd runs with the environment of its systemd unit (Environment= lines).
# Needs the non-sanitized build in build/ and the Debian package baresip-core.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
idle=${1:-600}
runs=${2:-1}
addr=127.0.0.5
lines=9

work=$(mktemp -d /tmp/keepline-bench.XXXXXX)
kamailio_pid=""
bus_pid=""
child_pid=""
cleanup() {
  [ -n "$child_pid" ] && kill "$child_pid" 2>/dev/null && wait "$child_pid" 2>/dev/null
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null
  [ -n "$kamailio_pid" ] && "$top/tests/e2e/kamailio/stop-instance.sh" "$kamailio_pid"
  rm -rf "$work"
}
trap cleanup EXIT

command -v baresip >/dev/null || { echo "baresip is not installed (apt-get install baresip-core)" >&2; exit 1; }
meson compile -C "$top/build" >/dev/null

"$top/tests/e2e/gen-certs.sh" "$work/certs"
mkdir -p "$work/kamailio"
kamailio_pid=$("$top/tests/e2e/kamailio/start-instance.sh" "$addr" "$work/kamailio" "$work/certs" 5060 5060 5061 30)
kamctl() { kamcmd -s "unix:$work/kamailio/kamailio_ctl" "$@"; }

bindings() {
  kamctl ul.dump brief 2>/dev/null | grep -c "AoR:" || true
}

# Milliseconds from now until Kamailio holds all bindings (polled every 5 ms).
wait_registered() {
  local start=$1 now
  for _ in $(seq 4000); do
    if [ "$(bindings)" -ge "$lines" ]; then
      now=$(date +%s%N)
      echo $(( (now - start) / 1000000 ))
      return
    fi
    sleep 0.005
  done
  echo "timeout"
}

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# "tid count" per thread: voluntary context switches, each a wake-up from sleep
switches() {
  for task in /proc/"$1"/task/*; do
    echo "${task##*/} $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$task/status" 2>/dev/null)"
  done
}
# wake-ups between two samples, over the threads present in both
wakeups() {
  awk 'NR == FNR { before[$1] = $2; next } ($1 in before) { n += $2 - before[$1] } END { print n + 0 }' "$1" "$2"
}
kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
pss() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }

measure() {
  local name=$1 pid=$2 start=$3 registered t0 t1 hz
  registered=$(wait_registered "$start")
  sleep 2 # let subscriptions and the first keep-alives settle
  hz=$(getconf CLK_TCK)
  t0=$(ticks "$pid")
  switches "$pid" > "$work/switches.0"
  sleep "$idle"
  t1=$(ticks "$pid")
  switches "$pid" > "$work/switches.1"
  printf '%-8s %10s %10s %10s %10s %9s %12s\n' "$name" "$registered" "$(kib "$pid" RssAnon)" "$(pss "$pid")" \
    "$(kib "$pid" VmRSS)" "$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$idle" 'BEGIN { printf "%.3f", 100 * t / hz / s }')" \
    "$(awk -v n="$(wakeups "$work/switches.0" "$work/switches.1")" -v s="$idle" 'BEGIN { printf "%.1f", 60 * n / s }')"
}

run_sipd() {
  local config=$work/sipd start
  mkdir -p "$config"
  {
    echo "sip local port: 0"
    echo "sip outbound support: 1"
    echo "sip transport protocol: 4"
    echo "sips trusted certificates: $work/certs/ca.pem"
    echo "sip proxy ip: $addr"
    echo "sip proxy port: 5061"
    for n in $(seq "$lines"); do
      echo "sip line$n user name: 100$n"
      echo "sip line$n password: secret100$n"
    done
  } > "$config/local.cfg"
  sed -e "s|@BUS_DIR@|$work|" -e "s|@POLICY_DIR@|$top/systemd/dbus-policy|" -e "s|@EXTRA_POLICY@||" \
    "$top/tests/data/system-bus.conf.in" > "$work/bus.conf"
  dbus-daemon --nofork --print-address=3 --config-file "$work/bus.conf" 3>"$work/address" 2>/dev/null &
  bus_pid=$!
  for _ in $(seq 100); do [ -s "$work/address" ] && break; sleep 0.02; done
  # sipd gets the environment its systemd unit gives it (the unit's Environment= lines)
  read -r -a unit_env <<< "$(sed -n 's/^Environment=//p' "$top/systemd/units/keepline-sipd.service.in" | tr '\n' ' ')"
  start=$(date +%s%N)
  env DBUS_SYSTEM_BUS_ADDRESS="$(head -n1 "$work/address")" "${unit_env[@]}" "$top/build/sipd/sipd" \
    --config-dir "$config" --mac 00085D0B0E0C 2>"$work/sipd.log" &
  child_pid=$!
  measure sipd "$child_pid" "$start"
  kill "$child_pid"; wait "$child_pid" || true; child_pid=""
  kill "$bus_pid"; wait "$bus_pid" 2>/dev/null || true; bus_pid=""
}

run_baresip() {
  local config=$work/baresip start
  mkdir -p "$config"
  cat > "$config/config" <<EOF
sip_listen		127.0.0.1:0
sip_cafile		$work/certs/ca.pem
sip_trans_def		tls
module_path		/usr/lib/baresip/modules
module_tmp		uuid.so
module_tmp		account.so
audio_player		none
audio_source		none
EOF
  : > "$config/accounts"
  for n in $(seq "$lines"); do
    echo "<sip:100$n@$addr;transport=tls>;auth_pass=secret100$n;outbound=\"sip:$addr:5061;transport=tls\";sipnat=outbound;regint=3600" >> "$config/accounts"
  done
  : > "$config/contacts"
  start=$(date +%s%N)
  baresip -f "$config" </dev/null >"$work/baresip.log" 2>&1 &
  child_pid=$!
  measure baresip "$child_pid" "$start"
  kill "$child_pid"; wait "$child_pid" || true; child_pid=""
}

wait_unregistered() {
  for _ in $(seq 400); do [ "$(bindings)" -eq 0 ] && return; sleep 0.05; done
  kamctl ul.rm location s:1001 >/dev/null 2>&1 || true
}

echo "9 lines over TLS with SIP Outbound at Kamailio $(kamailio -v | head -1 | awk '{print $3}') on $addr; idle ${idle} s"
printf '%-8s %10s %10s %10s %10s %9s %12s\n' program "reg ms" "RssAnon kB" "PSS kB" "VmRSS kB" "CPU %" "wakeups/min"
for _ in $(seq "$runs"); do
  run_sipd
  wait_unregistered
  run_baresip
  wait_unregistered
done
