#!/bin/sh
# Stops a Kamailio that start-instance.sh started: SIGTERM to PID, SIGKILL to
# its whole process group after 5 s, and returns once no process of the group
# is left (a dying child still holds the ports the next instance binds).
pid=$1
kill -TERM "$pid" 2>/dev/null || exit 0
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.05
  i=$((i + 1))
done
kill -KILL -"$pid" 2>/dev/null
i=0
while kill -0 -"$pid" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.02
  i=$((i + 1))
done
exit 0
