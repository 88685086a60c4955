/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-daemon"

#include "kl-daemon.h"

#include <glib-unix.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "kl-notify.h"

#if defined(__SANITIZE_ADDRESS__)
#define KL_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KL_HAVE_LSAN 1
#endif
#endif
#ifdef KL_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "kl-build-config.h"
#include "kl-system.h"

/* First thing in main(), before any thread starts. glibc gives each new
 * thread its own malloc arena (up to eight per core), each a heap of its own
 * whose touched pages stay: a daemon's threads (GLib's worker, GDBus's worker,
 * a GTask pool thread for the bus connection) left three arenas with about
 * 64 kB touched for some 45 kB in use. The daemons hardly allocate off their
 * main thread and never in parallel, so one arena, shared under its lock,
 * does for all. */
void
kl_daemon_init_malloc (void)
{
  (void) mallopt (M_ARENA_MAX, 1);
}

void
kl_daemon_options_clear (KlDaemonOptions *options)
{
  g_clear_pointer (&options->config_dir, g_free);
  g_clear_pointer (&options->model, g_free);
  g_clear_pointer (&options->mac, g_free);
}

void
kl_daemon_options_add_to (KlDaemonOptions *options, GOptionContext *context)
{
  const GOptionEntry entries[] = {
    { "config-dir", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_dir,
      "Read the .cfg files from DIR (default " KL_DEFAULT_CONFIG_DIR ")", "DIR" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &options->model,
      "Read MODEL.cfg after aastra.cfg (default " KL_DEFAULT_MODEL ")", "MODEL" },
    { "mac", 0, 0, G_OPTION_ARG_STRING, &options->mac,
      "Read MAC.cfg; default: the first network interface's address", "MAC" },
    { "debug", 'd', 0, G_OPTION_ARG_NONE, &options->debug, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version, "Print the version and exit", NULL },
    { NULL }
  };
  g_option_context_add_main_entries (context, entries, NULL);
}

gboolean
kl_daemon_options_parse (KlDaemonOptions *options, GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error)) {
    g_printerr ("%s\n", error->message);
    return FALSE;
  }
  if (*argc > 1) {
    g_printerr ("unexpected argument '%s'\n", (*argv)[1]);
    return FALSE;
  }
  if (options->config_dir == NULL)
    options->config_dir = g_strdup (KL_DEFAULT_CONFIG_DIR);
  if (options->model == NULL)
    options->model = g_strdup (KL_DEFAULT_MODEL);
  if (options->mac == NULL)
    options->mac = kl_system_mac ();
  if (options->debug)
    g_log_set_debug_enabled (TRUE);
  return TRUE;
}

KlConfigSource
kl_daemon_options_get_source (const KlDaemonOptions *options)
{
  return (KlConfigSource) {
    .dir = options->config_dir,
    .model = options->model,
    .mac = options->mac,
  };
}

void
kl_daemon_log_diagnostics (GPtrArray *diagnostics)
{
  for (guint i = 0; i < diagnostics->len; i++) {
    g_autofree char *text = kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, i));
    g_warning ("%s", text);
  }
}

/* A daemon is up and settled this long after it starts. */
#define STARTED_AFTER_S 10

typedef struct {
  const KlDaemonHooks *hooks;
  GMainLoop *loop;
  GDBusConnection *connection;
  int status;
} Run;

static void
stop (Run *run, int status)
{
  if (status != 0)
    run->status = status;
  g_main_loop_quit (run->loop);
}

static void
on_bus_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr (GError) error = NULL;

  g_set_object (&run->connection, connection);
  if (!run->hooks->bus_acquired (connection, run->hooks->user_data, &error)) {
    g_warning ("cannot export objects: %s", error->message);
    stop (run, 1);
  }
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_info ("owns the bus name %s", name);
  kl_notify ("READY=1");
}

/* Fed from the main loop: a loop that hangs stops feeding it, and systemd
 * restarts the daemon. */
static gboolean
on_watchdog (gpointer user_data)
{
  kl_notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  if (connection == NULL)
    g_warning ("cannot connect to the system bus to own %s", name);
  else
    g_warning ("lost the bus name %s, or another process owns it", name);
  stop (user_data, 1);
}

static gboolean
on_terminate (gpointer user_data)
{
  g_info ("terminating on signal");
  kl_notify ("STOPPING=1");
  stop (user_data, 0);
  return G_SOURCE_CONTINUE;
}

/* By now start-up's passing allocations (reading the configuration files,
 * the first TLS handshakes and registrations, GDBus's first messages) are
 * free again, but their pages stay with the process: free() gives memory back
 * only from the top of the heap, and only when more than 128 kB is free there.
 * malloc_trim() gives back every whole free page, inside the heap too; later
 * allocations take pages again as they need them. */
static gboolean
on_started (gpointer user_data)
{
  (void) malloc_trim (0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_hangup (gpointer user_data)
{
  Run *run = user_data;

  kl_notify ("RELOADING=1");
  if (run->hooks->reload != NULL)
    run->hooks->reload (run->hooks->user_data);
  kl_notify ("READY=1");
  return G_SOURCE_CONTINUE;
}

int
kl_daemon_run (const KlDaemonHooks *hooks)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GSource) started = g_timeout_source_new_seconds (STARTED_AFTER_S);
  Run run = { .hooks = hooks, .loop = loop, .connection = NULL, .status = 0 };
  guint owner_id;
  guint sigterm_id = g_unix_signal_add (SIGTERM, on_terminate, &run);
  guint sigint_id = g_unix_signal_add (SIGINT, on_terminate, &run);
  guint sighup_id = g_unix_signal_add (SIGHUP, on_hangup, &run);
  guint watchdog_ms = kl_notify_watchdog_interval_ms ();
  guint watchdog_id = watchdog_ms > 0 ? g_timeout_add (watchdog_ms, on_watchdog, NULL) : 0;

  g_source_set_callback (started, on_started, NULL, NULL);
  g_source_attach (started, NULL);
  owner_id = g_bus_own_name (G_BUS_TYPE_SYSTEM, hooks->bus_name, G_BUS_NAME_OWNER_FLAGS_NONE,
                             on_bus_acquired, on_name_acquired, on_name_lost, &run, NULL);
  g_main_loop_run (loop);

  if (hooks->shutdown != NULL)
    hooks->shutdown (hooks->user_data);
  g_bus_unown_name (owner_id);
  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);
  g_source_remove (sighup_id);
  if (watchdog_id != 0)
    g_source_remove (watchdog_id);
  g_source_destroy (started);
  /* Let the name release and pending replies go out, then close the bus
   * connection, so that GDBus's worker thread is idle while the process exits. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (run.connection != NULL) {
    g_dbus_connection_flush_sync (run.connection, NULL, NULL);
    g_dbus_connection_close_sync (run.connection, NULL, NULL);
    g_clear_object (&run.connection);
  }
  return run.status;
}

void
kl_daemon_status (const char *status)
{
  g_autofree char *state = g_strdup_printf ("STATUS=%s", status);

  kl_notify (state);
}

/* Ends the process once main has freed everything. Library destructors are
 * skipped on purpose: GDBus's worker thread outlives the connection and may
 * still be running GLib code when they tear down GLib's thread-local keys,
 * which aborts in pthread_setspecific (seen once in about fifty stops). */
void
kl_daemon_exit (int status)
{
  fflush (stdout);
  fflush (stderr);
#ifdef KL_HAVE_LSAN
  if (__lsan_do_recoverable_leak_check () != 0 && status == 0)
    status = 23;
#endif
  _exit (status);
}
