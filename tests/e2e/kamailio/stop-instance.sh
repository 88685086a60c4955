#!/bin/sh
# Stops a Kamailio that start-instance.sh started: SIGTERM to PID, then after
# 5 s SIGKILL to its whole process group.
pid=$1
kill -TERM "$pid" 2>/dev/null || exit 0
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.05
  i=$((i + 1))
done
kill -KILL -"$pid" 2>/dev/null
exit 0
