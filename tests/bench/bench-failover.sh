#!/usr/bin/env bash
# Benchmark (not a test): failover and failback latency of sipd and of baresip,
# for each fault kind, against two real Kamailio servers with Flow-Timer 25:
# the primary on 127.0.0.8, the backup on 127.0.0.9. Real timers (no scaling).
#   tests/bench/bench-failover.sh [RUNS] [PROGRAMS]   (defaults: 5, "sipd-10 sipd baresip")
# Programs: sipd-10 is sipd with "sip outbound keep alive timer: 10"; sipd uses
# the default (the registrar's Flow-Timer); baresip 1.0.0 has outbound and
# outbound2 (two flows, reg-id 1 and 2), so its backup is registered all along.
# Each fault comes at a random point of the keep-alive cycle. Measured:
#   failover: from the fault until the backup holds sipd's binding; for baresip,
#     which needs no new registration, until it reports the failure;
#     sipd may register at the backup while the primary is only suspect; the
#     fault then lasts until sipd counts the failover (the pong deadline);
#   failback: from the primary's return until sipd is registered at the primary
#     and unregistered at the backup; for baresip, until its reg-id 1 is
#     registered at the primary again.
# Prints each run, then the median, min and max per program and fault kind.
# Needs root (ss -K, nft), the non-sanitized build in build/ and baresip-core.
# PRIMARY, BACKUP and BUILD (a build directory under the checkout) move it to
# other addresses and another build, beside other benchmarks and tests.
# REGISTRAR=plain: registrars without RFC 5626 (Kamailio's PLAIN: no outbound,
# no CRLF pong, idle connections closed after 20 s). sipd has outbound off and
# "sip keep alive options interval: 10" (sipd-10 is the same there); baresip
# has no sipnat=outbound, so it sends no keep-alive and registers through its
# first outbound proxy only (baresip 1.0.0 uses outbound2 only for sipnat=
# outbound): its "failover" is the detection, at its next REGISTER. Both
# register for 300 s; the fault falls at a random point of the OPTIONS cycle
# for sipd, of the registration cycle (refresh at 90 %) for baresip, which
# gets up to BARESIP_WAIT s (300) to notice and BARESIP_RUNS runs (RUNS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=${1:-5}
programs=${2:-"sipd-10 sipd baresip"}
primary=${PRIMARY:-127.0.0.8}
backup=${BACKUP:-127.0.0.9}
build=${BUILD:-build}
faults=${FAULTS:-"reset fin hung black-hole"}
registrar=${REGISTRAR:-outbound}
baresip_runs=${BARESIP_RUNS:-$runs}
baresip_wait=${BARESIP_WAIT:-300}
case $registrar in
  outbound) defines="" ;;
  plain) defines=PLAIN ;;
  *) echo "REGISTRAR is outbound or plain, not $registrar" >&2; exit 2 ;;
esac

work=$(mktemp -d /tmp/keepline-bench-failover.XXXXXX)
declare -A kamailio_pid=()
bus_pid=""
child_pid=""
nft_table=kl_bench_black_hole_${primary//./_}

stop_kamailio() {
  local addr=$1
  if [ -n "${kamailio_pid[$addr]:-}" ]; then
    kill -CONT -"${kamailio_pid[$addr]}" 2>/dev/null || true
    "$top/tests/e2e/kamailio/stop-instance.sh" "${kamailio_pid[$addr]}" || true
    kamailio_pid[$addr]=""
  fi
}
stop_program() {
  if [ -n "$child_pid" ]; then
    kill "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
    child_pid=""
  fi
  if [ -n "$bus_pid" ]; then
    kill "$bus_pid" 2>/dev/null || true
    wait "$bus_pid" 2>/dev/null || true
    bus_pid=""
  fi
}
cleanup() {
  stop_program
  nft delete table inet "$nft_table" 2>/dev/null || true
  stop_kamailio "$primary"
  stop_kamailio "$backup"
  [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

command -v baresip >/dev/null || { echo "baresip is not installed (apt-get install baresip-core)" >&2; exit 1; }
meson compile -C "$top/$build" >/dev/null
cp "$top/$build/sipd/sipd" "$work/sipd-under-test" # the build may change while this runs
"$top/tests/e2e/gen-certs.sh" "$work/certs" >/dev/null

start_kamailio() {
  local addr=$1
  mkdir -p "$work/$addr"
  kamailio_pid[$addr]=$("$top/tests/e2e/kamailio/start-instance.sh" "$addr" "$work/$addr" "$work/certs" 5060 5060 5061 25 \
    "$addr" "$defines")
}
kamctl() { kamcmd -s "unix:$work/$1/kamailio_ctl" "${@:2}" 2>/dev/null || true; }
# bindings of user 1001 at a registrar, for the AOR of its own domain or the primary's
bindings() { kamctl "$1" ul.dump | grep -c "Address:" || true; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
rand_between() { awk -v a="$1" -v b="$2" -v r="$RANDOM" 'BEGIN { printf "%.3f", a + (b - a) * r / 32767 }'; }

# Polls every 10 ms until the command succeeds; prints the seconds since $1.
wait_for() {
  local since=$1 limit=$2
  shift 2
  local deadline
  deadline=$(awk -v a="$(now)" -v l="$limit" 'BEGIN { printf "%.3f", a + l }')
  while ! "$@"; do
    if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }'; then
      echo "timeout"
      return
    fi
    sleep 0.01
  done
  seconds_since "$since"
}

at_backup() { [ "$(bindings "$backup")" -ge 1 ]; }
only_at_primary() { [ "$(bindings "$primary")" -ge 1 ] && [ "$(bindings "$backup")" -eq 0 ]; }
at_primary() { [ "$(bindings "$primary")" -ge 1 ]; }
# sipd counted a failover (not just a registration at the backup while the
# primary is suspect, which a pong before the 10 s deadline withdraws)
sipd_failed_over() {
  [ "$(DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$work/address") busctl --system get-property org.keepline.Sip \
    /org/keepline/Sip/Line/1 org.keepline.Sip.Line1 Failovers 2>/dev/null)" != "u 0" ]
}

start_sipd() {
  local keepalive=$1 config=$work/sipd outbound=1 extra=""
  if [ "$registrar" = plain ]; then
    outbound=0
    extra=$'sip keep alive options interval: 10\nsip registration period: 300'
  fi
  mkdir -p "$config"
  cat > "$config/local.cfg" <<EOF
sip local port: 0
sip outbound support: $outbound
sip transport protocol: 2
sip proxy ip: $primary
sip proxy port: 5060
sip backup proxy ip: $backup
sip backup proxy port: 5060
sip backup registrar ip: $backup
sip backup registrar port: 5060
sip outbound keep alive timer: $keepalive
sip line1 user name: 1001
sip line1 password: secret1001
$extra
EOF
  sed -e "s|@BUS_DIR@|$work|" -e "s|@POLICY_DIR@|$top/systemd/dbus-policy|" -e "s|@EXTRA_POLICY@||" \
    "$top/tests/data/system-bus.conf.in" > "$work/bus.conf"
  rm -f "$work/address"
  dbus-daemon --nofork --print-address=3 --config-file "$work/bus.conf" 3>"$work/address" 2>/dev/null &
  bus_pid=$!
  for _ in $(seq 100); do [ -s "$work/address" ] && break; sleep 0.02; done
  DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$work/address") "$work/sipd-under-test" --config-dir "$config" \
    --mac 00085D0B0E0C 2>>"$work/sipd.log" &
  child_pid=$!
}

start_baresip() {
  local config=$work/baresip
  mkdir -p "$config"
  cat > "$config/config" <<EOF
sip_listen		127.0.0.1:0
sip_trans_def		tcp
module_path		/usr/lib/baresip/modules
module_tmp		uuid.so
module_tmp		account.so
audio_player		none
audio_source		none
EOF
  if [ "$registrar" = plain ]; then
    echo "<sip:1001@$primary;transport=tcp>;auth_pass=secret1001;outbound=\"sip:$primary;transport=tcp\";outbound2=\"sip:$backup;transport=tcp\";regint=300" > "$config/accounts"
  else
    echo "<sip:1001@$primary;transport=tcp>;auth_pass=secret1001;outbound=\"sip:$primary;transport=tcp\";outbound2=\"sip:$backup;transport=tcp\";sipnat=outbound;regint=600" > "$config/accounts"
  fi
  : > "$config/contacts"
  : > "$work/baresip.log"
  # every line of its output with the time it was written
  baresip -f "$config" </dev/null > >(while IFS= read -r line; do echo "$(now) $line"; done >> "$work/baresip.log") 2>&1 &
  child_pid=$!
}

# baresip's first output after a time: it reports the failure of the flow
baresip_said_after() { awk -v t="$1" -v pattern="$2" '$1 > t && $0 ~ pattern { found = 1 } END { exit !found }' "$work/baresip.log"; }

start_fault() {
  case $1 in
    reset) ss -K -t src "$primary" >/dev/null; kill -KILL -"${kamailio_pid[$primary]}"; kamailio_pid[$primary]="" ;;
    fin) kill -KILL -"${kamailio_pid[$primary]}"; kamailio_pid[$primary]="" ;;
    hung) kill -STOP -"${kamailio_pid[$primary]}" ;;
    black-hole)
      nft -f - <<EOF
table inet $nft_table {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr $primary drop
    ip saddr $primary drop
  }
}
EOF
      ;;
  esac
}

end_fault() {
  case $1 in
    reset | fin) sleep 0.2; start_kamailio "$primary" ;;
    hung) kill -CONT -"${kamailio_pid[$primary]}" ;;
    black-hole) nft delete table inet "$nft_table" ;;
  esac
}

one_run() {
  local program=$1 fault=$2 t0 t1 failover failback cycle wait=90 reg_id=1
  start_kamailio "$primary"
  start_kamailio "$backup"
  case $program in
    sipd-10) start_sipd 10; cycle=10 ;;
    sipd) start_sipd 0; cycle=25 ;;
    baresip) start_baresip; cycle=25 ;;
  esac
  if [ "$registrar" = plain ]; then
    case $program in
      sipd-10 | sipd) cycle=10 ;;             # the OPTIONS interval
      baresip) cycle=268; wait=$baresip_wait; reg_id=0 ;; # it refreshes after 270 s
    esac
  fi
  if [ "$(wait_for "$(now)" 10 at_primary)" = timeout ]; then
    echo "$program did not register at the primary" >&2
    return 1
  fi
  sleep "$(rand_between 2 $((2 + cycle)))"
  t0=$(now)
  start_fault "$fault"
  if [ "$program" = baresip ]; then
    failover=$(wait_for "$t0" "$wait" baresip_said_after "$t0" "reg:|failed|timeout|reset|closed")
  else
    failover=$(wait_for "$t0" "$wait" at_backup)
    wait_for "$t0" "$wait" sipd_failed_over >/dev/null # the fault outlasts the pong deadline
  fi
  sleep "$(rand_between 3 6)"
  t1=$(now)
  end_fault "$fault"
  if [ "$program" = baresip ]; then
    failback=$(wait_for "$t1" 150 baresip_said_after "$t1" "\\{$reg_id/TCP/v4\\} 200 OK")
  else
    failback=$(wait_for "$t1" 60 only_at_primary)
  fi
  printf '%-8s %-11s %10s %10s\n' "$program" "$fault" "$failover" "$failback" | tee -a "$work/results"
  stop_program
  stop_kamailio "$primary"
  stop_kamailio "$backup"
}

summary() {
  awk '
    { key = $1 " " $2; over[key] = over[key] " " $3; back[key] = back[key] " " $4; order[key] = NR }
    function stats(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return sprintf("%7.2f %7.2f %7.2f", (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2, a[1], a[n])
    }
    END {
      for (key in order) { split(key, k, " "); printf "%-8s %-11s %23s   %23s\n", k[1], k[2], stats(over[key]), stats(back[key]) }
    }' "$work/results" | sort -k1,1 -k2,2
}

if [ "$registrar" = plain ]; then
  echo "Kamailio $(kamailio -v | head -1 | awk '{print $3}') without outbound, OPTIONS every 10 s, primary $primary, backup $backup, TCP, $runs runs (baresip $baresip_runs)"
else
  echo "Kamailio $(kamailio -v | head -1 | awk '{print $3}'), Flow-Timer 25, primary $primary, backup $backup, TCP, $runs runs"
fi
printf '%-8s %-11s %10s %10s\n' program fault "failover s" "failback s"
: > "$work/results"
for program in $programs; do
  n=$runs
  [ "$program" = baresip ] && n=$baresip_runs
  for fault in $faults; do
    for _ in $(seq "$n"); do
      one_run "$program" "$fault"
    done
  done
done
echo
printf '%-8s %-11s %23s   %23s\n' program fault "failover s: median min max" "failback s: median min max"
summary
