#!/bin/sh
# Starts one Kamailio for an end-to-end test and prints its PID once it answers.
#   start-instance.sh ADDR RUNDIR CERTDIR [UDP_PORT TCP_PORT TLS_PORT FLOW_TIMER DOMAIN DEFINES]
# Renders kamailio.cfg.in and tls.cfg.in into RUNDIR with fresh db_text tables,
# checks the configuration, starts Kamailio in its own process group (so that
# stop-instance.sh can take the whole group down) and waits until both its RPC
# socket and SIP over UDP answer. The AOR domain and realm are DOMAIN, ADDR
# itself unless given. DEFINES, space-separated, are #!define'd at the top of
# the configuration: the kind of server a test wants (see kamailio.cfg.in).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
addr=$1 rundir=$2 certdir=$3
udp_port=${4:-5060} tcp_port=${5:-5060} tls_port=${6:-5061} flow_timer=${7:-30} domain=${8:-$addr}
defines=""
for name in ${9:-}; do
  defines="$defines#!define $name\\n"
done

rm -rf "$rundir/db"
mkdir -p "$rundir/db"
cp "$here"/db/* "$rundir/db/"
sed -e "s|@ADDR@|$addr|g" -e "s|@UDP_PORT@|$udp_port|g" -e "s|@TCP_PORT@|$tcp_port|g" \
    -e "s|@TLS_PORT@|$tls_port|g" -e "s|@RUNDIR@|$rundir|g" -e "s|@FLOW_TIMER@|$flow_timer|g" \
    -e "s|@DOMAIN@|$domain|g" -e "s|^@DEFINES@\$|$defines|" "$here/kamailio.cfg.in" > "$rundir/kamailio.cfg"
sed -e "s|@CERT@|$certdir/server.pem|g" -e "s|@KEY@|$certdir/server.key|g" \
    -e "s|@CA@|$certdir/ca.pem|g" "$here/tls.cfg.in" > "$rundir/tls.cfg"
if ! kamailio -c -f "$rundir/kamailio.cfg" > "$rundir/check.log" 2>&1; then
  cat "$rundir/check.log" >&2
  exit 1
fi

# The PID comes from the pid file: with job control on, setsid forks and $! is not Kamailio.
rm -f "$rundir/kamailio.pid"
setsid kamailio -f "$rundir/kamailio.cfg" -DD -E -Y "$rundir" -P "$rundir/kamailio.pid" -m 32 -M 4 \
  > "$rundir/kamailio.log" 2>&1 &

# Stopping Kamailio before its children are up can hang it, so wait until it answers.
# If it never does, take down what was started before failing.
give_up() {
  echo "$1" >&2
  grep -E "ERROR|CRITICAL" "$rundir/kamailio.log" | tail -5 >&2
  [ -n "${pid:-}" ] && kill -KILL -"$pid" 2>/dev/null
  exit 1
}
i=0
pid=""
while [ $i -lt 200 ]; do
  pid=$(cat "$rundir/kamailio.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    give_up "kamailio died while starting:"
  fi
  if [ -n "$pid" ] && [ -S "$rundir/kamailio_ctl" ] &&
     kamcmd -s "unix:$rundir/kamailio_ctl" core.uptime >/dev/null 2>&1 &&
     INJECT_TIMEOUT=0.5 python3 "$here/../sip-inject.py" "$addr:$udp_port" options "" "$addr" >/dev/null 2>&1; then
    echo "$pid"
    exit 0
  fi
  sleep 0.05
  i=$((i + 1))
done
give_up "kamailio did not answer in time"
