/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service manager's notification protocol (sd_notify(3), stable since
 * systemd 209), spoken by hand: one datagram of "KEY=value" lines to the
 * socket in $NOTIFY_SOCKET (a path, or an abstract name after '@'). Nothing
 * happens when the daemon is not started by systemd with Type=notify. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends state ("READY=1", "STATUS=…", "WATCHDOG=1"); FALSE when it could not. */
gboolean kl_notify (const char *state);
/* Half of $WATCHDOG_USEC in ms when the watchdog is on for this process, else 0. */
guint kl_notify_watchdog_interval_ms (void);

G_END_DECLS
