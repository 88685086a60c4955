/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the three daemons share: their common options, loading the configuration
 * at start, owning the bus name on the system bus, the signal handling, and
 * telling systemd how they are (kl-notify.h). */
#pragma once

#include <gio/gio.h>

#include "kl-config.h"

G_BEGIN_DECLS

typedef struct {
  char *config_dir;
  char *model;
  char *mac;
  gboolean debug;
  gboolean version;
} KlDaemonOptions;

void kl_daemon_init_malloc (void);

void kl_daemon_options_clear (KlDaemonOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KlDaemonOptions, kl_daemon_options_clear)
void kl_daemon_options_add_to (KlDaemonOptions *options, GOptionContext *context);
gboolean kl_daemon_options_parse (KlDaemonOptions *options,
                                  GOptionContext *context,
                                  int *argc,
                                  char ***argv);

KlConfigSource kl_daemon_options_get_source (const KlDaemonOptions *options);
void kl_daemon_log_diagnostics (GPtrArray *diagnostics);

typedef struct {
  const char *bus_name;
  /* Export objects here; a FALSE return stops the daemon. */
  gboolean (*bus_acquired) (GDBusConnection *connection, gpointer user_data, GError **error);
  void (*reload) (gpointer user_data);
  void (*shutdown) (gpointer user_data);
  gpointer user_data;
} KlDaemonHooks;

/* Runs the main loop; tells systemd READY=1 once the bus name is owned,
 * RELOADING=1 around a reload, STOPPING=1, and feeds its watchdog. */
int kl_daemon_run (const KlDaemonHooks *hooks);
/* What `systemctl status` shows under the unit: "3/3 lines registered". */
void kl_daemon_status (const char *status);
G_GNUC_NORETURN void kl_daemon_exit (int status);

G_END_DECLS
