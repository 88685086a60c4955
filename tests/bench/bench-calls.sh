#!/usr/bin/env bash
# Benchmark (not a test): calls placed by sipd and by baresip 1.0.0 through
# real Kamailio servers to a sipp callee, on 127.0.0.12 to 127.0.0.15:
#   tests/bench/bench-calls.sh [RUNS] [PARTS]   (defaults: 10, "setup failover memory")
# Parts:
#   setup: one Kamailio (127.0.0.12); sipd as 1001 and baresip as 1002, both
#     registered over TCP with SIP Outbound, each dialling 9001 in turn. The
#     Kamailio routes users 9… to a sipp UAS on 127.0.0.14:5070 (its shared
#     variable uas), which answers 180 then 200 at once. Measured from the Dial
#     (sipd: the method call as a bus monitor saw it; baresip: its ctrl_tcp
#     "dial" command sent) to the callee's 180 (sipp's own trace), to the
#     caller's ringing (sipd: StateChanged "ringing"; baresip: CALL_RINGING)
#     and to the caller's "active" (StateChanged "active"; CALL_ESTABLISHED).
#   failover: a primary Kamailio (127.0.0.12) and a backup (127.0.0.13), both
#     routing 9… to the callee; the program registered at the primary with
#     "sip outbound keep alive timer: 10". At a random point of the keep-alive
#     cycle the primary goes silent (SIGSTOP and an nftables drop of its
#     address), and a random 0 to 10 s later the program dials 9001. Measured:
#     from the Dial to the callee's 180, or until the call fails and why.
#     Programs (PROGRAMS=...): sipd (backup proxy and registrar), sipd-dual
#     (the same, plus both as outbound proxies and "sip outbound dual flow: 1",
#     which needs a backup outbound proxy), baresip (outbound and outbound2,
#     as bench-failover.sh gives it). Both dial 9001, which becomes a URI at
#     the primary's domain; FAILOVER_TARGET=sip:9001@127.0.0.13 dials one at
#     the backup's instead.
#   memory: sipd with 9 lines registered at 127.0.0.12 over TCP, idle; then 20
#     calls at once across the 9 lines to a sipp UAS that answers and holds
#     them; then after they were hung up and their objects removed. Private
#     memory (RssAnon), Private_Dirty and PSS (smaps_rollup).
# Prints each run, then the median, min and max. sipd runs with the
# environment of its systemd unit, and G_MESSAGES_DEBUG=all but in the memory
# part; KEEP=1 keeps the
# work directory with every log. Needs root (nft), the non-sanitized build in
# build/, sipp, Kamailio and baresip-core.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=${1:-10}
parts=${2:-"setup failover memory"}
programs=${PROGRAMS:-"sipd sipd-dual baresip"}
failover_target=${FAILOVER_TARGET:-9001} # what the failover part dials
primary=127.0.0.12
backup=127.0.0.13
callee=127.0.0.14
callee_port=5070
baresip_addr=127.0.0.15
ctrl_port=4444
lines=9
calls=20
nft_table=kl_bench_calls_black_hole
sdp=$'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'

work=$(mktemp -d /tmp/keepline-bench-calls.XXXXXX)
declare -A kamailio_pid=()
bus_pid=""
sipd_pid=""
monitor_pid=""
baresip_pid=""
sipp_pid=""
bus_address=""

stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_kamailio() {
  local addr=$1
  if [ -n "${kamailio_pid[$addr]:-}" ]; then
    kill -CONT -"${kamailio_pid[$addr]}" 2>/dev/null || true
    "$top/tests/e2e/kamailio/stop-instance.sh" "${kamailio_pid[$addr]}" || true
    kamailio_pid[$addr]=""
  fi
}
stop_sipp() { stop_pid "$sipp_pid"; sipp_pid=""; }
stop_baresip() { stop_pid "$baresip_pid"; baresip_pid=""; }
stop_sipd() {
  stop_pid "$sipd_pid"; sipd_pid=""
  stop_pid "$monitor_pid"; monitor_pid=""
  stop_pid "$bus_pid"; bus_pid=""
}
cleanup() {
  stop_sipp
  stop_baresip
  stop_sipd
  nft delete table inet "$nft_table" 2>/dev/null || true
  stop_kamailio "$primary"
  stop_kamailio "$backup"
  [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in baresip sipp kamailio busctl nft python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
nft delete table inet "$nft_table" 2>/dev/null || true # left by a run that was killed
meson compile -j 1 -C "$top/build" >/dev/null
cp "$top/build/sipd/sipd" "$work/sipd-under-test" # the build may change while this runs
# written back, or its page cache stays dirty and counts in sipd's Private_Dirty
sync "$work/sipd-under-test"
"$top/tests/e2e/gen-certs.sh" "$work/certs" >/dev/null
read -r -a unit_env <<< "$(sed -n 's/^Environment=//p' "$top/systemd/units/keepline-sipd.service.in" | tr '\n' ' ')"

now() { date +%s.%N; }
rand_between() { awk -v a="$1" -v b="$2" -v r="$RANDOM" 'BEGIN { printf "%.3f", a + (b - a) * r / 32767 }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
ms_between() { if [ -n "$1" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 1000 * (a - b) }'; else echo failed; fi; }
# Polls every 10 ms until the command succeeds or LIMIT seconds passed.
wait_until() {
  local limit=$1 deadline
  shift
  deadline=$(awk -v a="$(now)" -v l="$limit" 'BEGIN { printf "%.3f", a + l }')
  until "$@"; do
    awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }' && return 1
    sleep 0.01
  done
}

# Servers

start_kamailio() {
  local addr=$1
  mkdir -p "$work/$addr"
  kamailio_pid[$addr]=$("$top/tests/e2e/kamailio/start-instance.sh" "$addr" "$work/$addr" "$work/certs" 5060 5060 5061 25)
  # calls to a user 9… go to the callee
  kamctl "$addr" pv.shvSet uas str "sip:$callee:$callee_port" >/dev/null
}
kamctl() { kamcmd -s "unix:$work/$1/kamailio_ctl" "${@:2}" 2>/dev/null || true; }
bindings() { kamctl "$1" ul.dump | grep -c "Address:" || true; }
has_bindings() { [ "$(bindings "$1")" -ge "$2" ]; }

black_hole() {
  kill -STOP -"${kamailio_pid[$primary]}"
  nft -f - <<EOF
table inet $nft_table {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr $primary drop
    ip saddr $primary drop
  }
}
EOF
}

# The callee: sipp answering one call (180, then 200 at once), or CALLS at
# once that it holds until the caller's BYE; its trace time-stamps each message.
start_callee() {
  local count=$1 trace=$2
  rm -f "$trace"
  sipp -sf "$top/tests/e2e/sipp/uas-answer.xml" -i "$callee" -p "$callee_port" -bind_local -mi "$callee" -t u1 \
    -m "$count" -l "$count" -nostdin -pause_msg_ign -trace_msg -message_file "$trace" >"$trace.screen" 2>&1 &
  sipp_pid=$!
  wait_until 5 callee_listening || { echo "sipp did not start: $(cat "$trace.screen")" >&2; return 1; }
}
callee_listening() { ss -Hlun "src $callee:$callee_port" | grep -q .; }
callee_done() { ! kill -0 "$sipp_pid" 2>/dev/null; }
# The time (s since the epoch) the callee sent its first 180, if it did.
callee_180() {
  local stamp
  stamp=$(awk '/^-----------------------------------------------/ { stamp = $2 " " $3; sent = 0; next }
               / message sent / { sent = 1; next }
               / message received / { sent = 0; next }
               sent && /^SIP\/2.0 180/ { print stamp; exit }' "$1" 2>/dev/null)
  if [ -n "$stamp" ]; then date -d "$stamp" +%s.%N; fi
}
callee_rang() { [ -n "$(callee_180 "$1")" ]; }

# sipd, on a private bus watched by a monitor that time-stamps every message

start_sipd() {
  local config=$1 log=$2
  local policy='<policy user="root"><allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/></policy>'
  sed -e "s|@BUS_DIR@|$work|" -e "s|@POLICY_DIR@|$top/systemd/dbus-policy|" -e "s|@EXTRA_POLICY@|$policy|" \
    "$top/tests/data/system-bus.conf.in" > "$work/bus.conf"
  rm -f "$work/address"
  dbus-daemon --nofork --print-address=3 --config-file "$work/bus.conf" 3>"$work/address" 2>/dev/null &
  bus_pid=$!
  wait_until 5 test -s "$work/address"
  bus_address=$(head -n1 "$work/address")
  busctl --address="$bus_address" monitor --json=short >"$work/monitor.json" 2>/dev/null &
  monitor_pid=$!
  env DBUS_SYSTEM_BUS_ADDRESS="$bus_address" "${unit_env[@]}" G_MESSAGES_DEBUG="${sipd_debug-all}" "$work/sipd-under-test" \
    --config-dir "$config" --mac 00085D0B0E0C >"$log" 2>&1 &
  sipd_pid=$!
  wait_until 10 line_state_is 1 registered || { echo "sipd did not register; see $log" >&2; return 1; }
}
sipd_config() {
  local dir=$1
  mkdir -p "$dir"
  cat > "$dir/local.cfg" <<EOF
sip local port: 0
sip outbound support: 1
sip transport protocol: 2
sip proxy ip: $primary
sip proxy port: 5060
sip outbound keep alive timer: 10
EOF
}
sip_bus() { busctl --address="$bus_address" "$@"; }
line_state_is() {
  [ "$(sip_bus get-property org.keepline.Sip "/org/keepline/Sip/Line/$1" org.keepline.Sip.Line1 State 2>/dev/null)" = "s \"$2\"" ]
}
# Dials; prints the call's object path.
sipd_dial() {
  { sip_bus call org.keepline.Sip "/org/keepline/Sip/Line/$1" org.keepline.Sip.Line1 Dial ss "$2" "$sdp" ||
      echo "Dial on line $1 failed" >&2; } | sed 's/^o "\(.*\)"$/\1/'
}
sipd_hangup() { sip_bus call org.keepline.Sip "$1" org.keepline.Sip.Call1 Hangup >/dev/null 2>&1 || true; }
# The monitor's time (s) of the last Dial it saw.
monitor_dial_time() {
  awk '/"member":"Dial"/ && /"type":"method_call"/ { match($0, /"timestamp-realtime":[0-9]+/); t = substr($0, RSTART + 21, RLENGTH - 21) }
       END { if (t != "") printf "%.6f\n", t / 1e6 }' "$work/monitor.json"
}
# The monitor's time (s) of the call's first StateChanged to STATE, and its reason.
monitor_state() {
  awk -v path="\"path\":\"$1\"" -v state="\"data\":[\"$2\"," '
    index($0, path) && /"member":"StateChanged"/ && index($0, state) {
      match($0, /"timestamp-realtime":[0-9]+/); t = substr($0, RSTART + 21, RLENGTH - 21)
      match($0, /"data":\["[a-z]+","[^"]*"/); r = substr($0, RSTART, RLENGTH); sub(/^"data":\["[a-z]+","/, "", r); sub(/"$/, "", r)
      printf "%.6f %s\n", t / 1e6, r; exit
    }' "$work/monitor.json"
}
call_reached() { [ -n "$(monitor_state "$1" "$2")" ] || [ -n "$(monitor_state "$1" ended)" ]; }
active_calls() { grep '"member":"StateChanged"' "$work/monitor.json" | grep -c '"data":\["active"' || true; }
at_least_active() { [ "$(active_calls)" -ge "$1" ]; }

# baresip, driven over ctrl_tcp with the menu's commands, as tests/lib/kl-test-baresip.c does

cat > "$work/baresip-ctl.py" <<'EOF'
# baresip-ctl.py ADDR PORT COMMAND PARAMS TIMEOUT [EVENT...]: sends one command,
# prints "sent TIME", then "response TIME OK" and "event TIME TYPE PARAM" as they
# come, until the response and one of the EVENTs came, or TIMEOUT seconds passed.
import json, socket, sys, time
addr, port, command, params, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
until = set(sys.argv[6:])
sock = socket.create_connection((addr, port), timeout=5)
request = json.dumps({"command": command, "params": params, "token": "1"}).encode()
sent = time.time()
sock.sendall(b"%d:%s," % (len(request), request))
print("sent %.6f" % sent, flush=True)
data, answered, done, deadline = b"", False, not until, sent + timeout
while not (answered and done) and time.time() < deadline:
    sock.settimeout(max(deadline - time.time(), 0.001))
    try:
        chunk = sock.recv(65536)
    except socket.timeout:
        break
    now = time.time()
    if not chunk:
        break
    data += chunk
    while b":" in data:
        colon = data.index(b":")
        length = int(data[:colon])
        if len(data) < colon + length + 2:
            break
        message = json.loads(data[colon + 1:colon + 1 + length])
        data = data[colon + length + 2:]
        if message.get("event"):
            print("event %.6f %s %s" % (now, message.get("type"), message.get("param", "")), flush=True)
            done = done or message.get("type") in until
        elif message.get("token") == "1":
            answered = True
            print("response %.6f %s" % (now, message.get("ok")), flush=True)
EOF

start_baresip() {
  local account=$1 config=$work/baresip
  mkdir -p "$config"
  cat > "$config/config" <<EOF
sip_listen		$baresip_addr:5060
sip_trans_def		tcp
net_interface		$baresip_addr
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		$baresip_addr:$ctrl_port
audio_source		ausine,440
ausrc_srate		48000
ausrc_channels		2
audio_player		none,none
audio_alert		none,none
EOF
  echo "$account" > "$config/accounts"
  : > "$config/contacts"
  baresip -s -f "$config" </dev/null >>"$work/baresip.log" 2>&1 &
  baresip_pid=$!
}
baresip_ctl() { python3 "$work/baresip-ctl.py" "$baresip_addr" "$ctrl_port" "$@"; }
ctrl_listening() { ss -Hltn "src $baresip_addr:$ctrl_port" | grep -q .; }
# from the output of baresip-ctl.py: the time of the first EVENT, and its param
event_time() { awk -v type="$2" '$1 == "event" && $3 == type { print $2; exit }' "$1"; }
event_param() { awk -v type="$2" '$1 == "event" && $3 == type { $1 = $2 = $3 = ""; sub(/^ +/, ""); print; exit }' "$1"; }

# Part 1: call setup

# Once the caller hung up: PROGRAM RUN DIAL 180 RINGING ACTIVE (times in s).
setup_report() {
  wait_until 5 callee_done || true
  stop_sipp
  printf 'setup    %-9s %3s %10s %10s %10s\n' "$1" "$2" "$(ms_between "$4" "$3")" "$(ms_between "$5" "$3")" \
    "$(ms_between "$6" "$3")" | tee -a "$work/results"
}

setup_run_sipd() {
  local run=$1
  local trace=$work/setup-sipd-$run.trace call t0 t180 ring active
  start_callee 1 "$trace"
  call=$(sipd_dial 1 9001)
  wait_until 10 call_reached "$call" active || true
  t0=$(monitor_dial_time)
  t180=$(callee_180 "$trace")
  ring=$(monitor_state "$call" ringing | cut -d' ' -f1)
  active=$(monitor_state "$call" active | cut -d' ' -f1)
  sipd_hangup "$call"
  setup_report sipd "$run" "$t0" "$t180" "$ring" "$active"
}

setup_run_baresip() {
  local run=$1
  local trace=$work/setup-baresip-$run.trace out=$work/setup-baresip-$run.ctl t0 t180 ring active
  start_callee 1 "$trace"
  baresip_ctl dial 9001 10 CALL_ESTABLISHED CALL_CLOSED >"$out" || true
  t0=$(awk '$1 == "sent" { print $2 }' "$out")
  t180=$(callee_180 "$trace")
  ring=$(event_time "$out" CALL_RINGING)
  active=$(event_time "$out" CALL_ESTABLISHED)
  baresip_ctl hangup "" 5 CALL_CLOSED >/dev/null || true
  setup_report baresip "$run" "$t0" "$t180" "$ring" "$active"
}

part_setup() {
  echo "== call setup: ms from Dial to the callee's 180 (sipp's trace), the caller's ringing, the caller's active"
  printf 'part     %-9s %3s %10s %10s %10s\n' program run "180 sent" ringing active
  start_kamailio "$primary"
  sipd_config "$work/sipd-setup"
  printf 'sip line1 user name: 1001\nsip line1 password: secret1001\n' >> "$work/sipd-setup/local.cfg"
  start_sipd "$work/sipd-setup" "$work/sipd-setup.log"
  start_baresip "<sip:1002@$primary;transport=tcp>;auth_pass=secret1002;outbound=\"sip:$primary;transport=tcp\";sipnat=outbound;regint=600"
  wait_until 10 ctrl_listening
  wait_until 10 has_bindings "$primary" 2 || { echo "baresip did not register" >&2; return 1; }
  for run in $(seq "$runs"); do
    setup_run_sipd "$run"
    setup_run_baresip "$run"
  done
  stop_baresip
  stop_sipd
  stop_kamailio "$primary"
}

# Part 2: a new call while the primary is silently dead

failover_sipd_config() {
  local dir=$1 dual=$2
  sipd_config "$dir"
  cat >> "$dir/local.cfg" <<EOF
sip backup proxy ip: $backup
sip backup proxy port: 5060
sip backup registrar ip: $backup
sip backup registrar port: 5060
sip line1 user name: 1001
sip line1 password: secret1001
EOF
  if [ "$dual" = 1 ]; then
    cat >> "$dir/local.cfg" <<EOF
sip outbound proxy: $primary
sip outbound proxy port: 5060
sip backup outbound proxy: $backup
sip backup outbound proxy port: 5060
sip outbound dual flow: 1
EOF
  fi
}

# Prints "RESULT SECONDS DETAIL": ok and the time to the callee's 180, or
# failed and the time until the call ended, or timeout.
failover_call_sipd() {
  local trace=$1 call t0 t180 ended
  call=$(sipd_dial 1 "$failover_target")
  wait_until 45 call_reached "$call" active || true
  t0=$(monitor_dial_time)
  t180=$(callee_180 "$trace")
  ended=$(monitor_state "$call" ended)
  if [ -n "$t180" ]; then
    echo "ok $(minus "$t180" "$t0") $(monitor_state "$call" active | cut -d' ' -f2-)"
  elif [ -n "$ended" ]; then
    echo "failed $(minus "${ended%% *}" "$t0") ${ended#* }"
  else
    echo "timeout 45 -"
  fi
  sipd_hangup "$call"
}

failover_call_baresip() {
  local trace=$1 out=$2 t0 t180 closed
  baresip_ctl dial "$failover_target" 45 CALL_ESTABLISHED CALL_CLOSED >"$out" || true
  t0=$(awk '$1 == "sent" { print $2 }' "$out")
  t180=$(callee_180 "$trace")
  closed=$(event_time "$out" CALL_CLOSED)
  if [ -n "$t180" ]; then
    echo "ok $(minus "$t180" "$t0") $(event_param "$out" CALL_ESTABLISHED)"
  elif [ -n "$closed" ]; then
    echo "failed $(minus "$closed" "$t0") $(event_param "$out" CALL_CLOSED)"
  else
    echo "timeout 45 -"
  fi
  baresip_ctl hangup "" 5 CALL_CLOSED >/dev/null 2>&1 || true
}

failover_run() {
  local program=$1 run=$2 name=$work/failover-$1-$2 delay result outcome seconds detail
  start_kamailio "$primary"
  start_kamailio "$backup"
  case $program in
    sipd | sipd-dual)
      failover_sipd_config "$name" "$([ "$program" = sipd-dual ] && echo 1 || echo 0)"
      start_sipd "$name" "$name.sipd.log"
      if [ "$program" = sipd-dual ]; then
        wait_until 10 has_bindings "$backup" 1 || echo "sipd-dual: no reg-id 2 at the backup" >&2
      fi
      ;;
    baresip)
      echo "== $name" >> "$work/baresip.log"
      start_baresip "<sip:1001@$primary;transport=tcp>;auth_pass=secret1001;outbound=\"sip:$primary;transport=tcp\";outbound2=\"sip:$backup;transport=tcp\";sipnat=outbound;regint=600"
      wait_until 10 ctrl_listening
      wait_until 10 has_bindings "$primary" 2 || echo "baresip: not both flows registered" >&2
      ;;
  esac
  start_callee 1 "$name.trace"
  sleep "$(rand_between 2 12)" # a random point of the keep-alive cycle (8 to 10 s)
  black_hole
  delay=$(rand_between 0 10)
  sleep "$delay"
  if [ "$program" = baresip ]; then
    result=$(failover_call_baresip "$name.trace" "$name.ctl")
  else
    result=$(failover_call_sipd "$name.trace")
  fi
  wait_until 5 callee_done || true
  read -r outcome seconds detail <<< "$result"
  printf 'failover %-9s %3s %10s %10s %10s  %s\n' "$program" "$run" "$delay" "$outcome" "$seconds" "$detail" |
    tee -a "$work/results"
  stop_sipp
  if [ "$program" = baresip ]; then stop_baresip; else stop_sipd; fi
  nft delete table inet "$nft_table"
  stop_kamailio "$primary"
  stop_kamailio "$backup"
}

part_failover() {
  echo "== a new call 0-10 s after the primary went silent: s from Dial to the callee's 180, or to the failure"
  printf 'part     %-9s %3s %10s %10s %10s  %s\n' program run "delay s" outcome seconds detail
  for program in $programs; do
    for run in $(seq "$runs"); do
      failover_run "$program" "$run"
    done
  done
}

# Part 3: memory with 20 calls up

kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
rollup() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/smaps_rollup"; }
# RssAnon, Private_Dirty and PSS in kB. Not Private_Clean: a library page
# counts as private whenever no other process (of other runs on the machine)
# maps it at that moment, and so moves with them.
memory_sample() { echo "$(kib "$sipd_pid" RssAnon) $(rollup "$sipd_pid" Private_Dirty) $(rollup "$sipd_pid" Pss)"; }
no_calls_left() { ! sip_bus tree org.keepline.Sip 2>/dev/null | grep -q '/Call/'; }

# CALLS calls at once across the lines, all answered; the memory sample taken
# while they are up goes into round_sample. Returns once their objects are gone.
round_sample=""
call_round() {
  local trace=$1 paths=() n before
  before=$(active_calls)
  start_callee "$calls" "$trace"
  for n in $(seq 0 $((calls - 1))); do
    paths+=("$(sipd_dial $((1 + n % lines)) 9001)")
  done
  wait_until 20 at_least_active $((before + calls)) ||
    echo "memory: only $(($(active_calls) - before)) of $calls calls active" >&2
  sleep 2
  round_sample=$(memory_sample)
  for path in "${paths[@]}"; do sipd_hangup "$path"; done
  wait_until 10 callee_done || true
  stop_sipp
  wait_until 15 no_calls_left || true # a call's object goes 5 s after it ended
  sleep 2
}

memory_run() {
  local run=$1
  local config=$work/memory-$run started idle busy after again n
  sipd_config "$config"
  for n in $(seq "$lines"); do
    printf 'sip line%s user name: 100%s\nsip line%s password: secret100%s\n' "$n" "$n" "$n" "$n" >> "$config/local.cfg"
  done
  started=$(now)
  sipd_debug="" start_sipd "$config" "$config.sipd.log" # debug logging would take memory of its own
  for n in $(seq "$lines"); do wait_until 10 line_state_is "$n" registered; done
  # past sipd's malloc_trim, 10 s after its start, and the first keep-alives
  sleep "$(awk -v s="$started" -v n="$(now)" 'BEGIN { d = s + 15 - n; printf "%.3f", (d > 0 ? d : 0) }')"
  idle=$(memory_sample)
  call_round "$config.trace"
  busy=$round_sample
  after=$(memory_sample)
  call_round "$config.again.trace"
  again=$(memory_sample)
  printf 'memory   %-9s %3s %8s %8s %8s %8s %8s %8s %8s %8s %3s\n' sipd "$run" $idle $busy "${after%% *}" "${again%% *}" \
    "$(active_calls)" | tee -a "$work/results"
  stop_sipd
}

part_memory() {
  echo "== memory of sipd, kB: $lines lines idle; $calls calls up; RssAnon after they ended, and after $calls more"
  printf 'part     %-9s %3s %8s %8s %8s %8s %8s %8s %8s %8s %3s\n' program run "idle anon" dirty PSS \
    "calls anon" dirty PSS "after" "again" up
  start_kamailio "$primary"
  for run in $(seq "$runs"); do memory_run "$run"; done
  stop_kamailio "$primary"
}

# Summary: median, min and max of each numeric column, per part and program

summary() {
  local part=$1 first=$2 last=$3
  awk -v part="$part" -v first="$first" -v last="$last" '
    function stats(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return sprintf("%s (%s-%s, n=%d)", (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2, a[1], a[n], n)
    }
    $1 == part {
      if (!($2 in seen)) { seen[$2] = 1; order[++programs] = $2 }
      for (c = first; c <= last; c++) if ($c ~ /^[0-9.]+$/) values[$2, c] = values[$2, c] " " $c; else failed[$2, c]++
    }
    END {
      for (p = 1; p <= programs; p++) {
        line = sprintf("%-9s", order[p])
        for (c = first; c <= last; c++)
          line = line sprintf("  %s%s", stats(values[order[p], c]), failed[order[p], c] ? " +" failed[order[p], c] " not" : "")
        print line
      }
    }' "$work/results"
}

failover_summary() {
  awk '$1 == "failover" { key = $2 " " $5; count[key]++; seconds[key] = seconds[key] " " $6 }
       function stats(list,   n, a, i, j, t) {
         n = split(list, a, " ")
         for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
         return sprintf("%.3f (%.3f-%.3f)", (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2, a[1], a[n])
       }
       END { for (key in count) { split(key, k, " "); printf "%-9s %-8s %3d runs  median (min-max) s: %s\n", k[1], k[2], count[key], stats(seconds[key]) } }' \
    "$work/results" | sort
}

echo "Kamailio $(kamailio -v | head -1 | awk '{print $3}'), sipp $(sipp -v 2>&1 | awk '/SIPp/ { print $2; exit }'), baresip $(baresip -h 2>&1 | awk 'NR == 1 { print $2 }'), sipd $(git -C "$top" describe --always --dirty 2>/dev/null || echo ?), $runs runs"
: > "$work/results"
for part in $parts; do
  "part_$part"
  echo
done
for part in $parts; do
  case $part in
    setup) echo "call setup, ms: median (min-max): 180 sent, ringing, active"; summary setup 4 6 ;;
    failover) echo "new call while the primary is silent, s to the 180 (ok) or to the failure"; failover_summary ;;
    memory) echo "memory, kB: median (min-max): idle RssAnon, Private_Dirty, PSS; calls up RssAnon, Private_Dirty, PSS; RssAnon after, again"
            summary memory 4 11 ;;
  esac
  echo
done
