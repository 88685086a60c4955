/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd"

#include <locale.h>

#include "kl-build-config.h"
#include "kl-daemon.h"
#include "sipd-manager.h"

#define GOODBYE_TIMEOUT_MS 2000

static gboolean
on_bus_acquired (GDBusConnection *connection, gpointer user_data, GError **error)
{
  return sipd_manager_export (user_data, connection, error);
}

static void
on_reload (gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_message ("SIGHUP: reloading the configuration");
  (void) sipd_manager_reload (user_data, &error); /* the manager logs the outcome */
}

static void
on_shutdown (gpointer user_data)
{
  sipd_manager_say_goodbye (user_data, GOODBYE_TIMEOUT_MS);
  sipd_manager_unexport (user_data);
}

/* --check-config and --print-config: report and exit. */
static int
run_admin_command (KlConfig *config, GPtrArray *diagnostics, GError *error, gboolean print)
{
  for (guint i = 0; i < diagnostics->len; i++) {
    g_autofree char *text = kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, i));
    g_printerr ("%s\n", text);
  }
  if (config == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  if (print) {
    g_autofree char *text = kl_config_to_text (config);
    g_print ("%s", text);
  } else {
    g_autofree char *files = g_strjoinv (", ", (char **) kl_config_get_files_read (config));
    g_print ("configuration in %s is valid (read: %s)\n", kl_config_get_dir (config),
             *files ? files : "no file");
  }
  return 0;
}

static int
run (int argc, char **argv)
{
  g_auto (KlDaemonOptions) options = { 0 };
  g_autoptr (GOptionContext) context = g_option_context_new ("- keepline SIP daemon");
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  g_autoptr (SipdManager) manager = NULL;
  g_autoptr (KlClock) clock = NULL;
  g_autofree char *state_dir = NULL;
  gboolean check_config = FALSE;
  gboolean print_config = FALSE;
  KlConfigSource source;
  const GOptionEntry entries[] = {
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
      "Check the configuration, print every error, exit 0 when valid", NULL },
    { "print-config", 0, 0, G_OPTION_ARG_NONE, &print_config,
      "Print the configuration in force for each line and exit", NULL },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Keep the instance id in DIR when there is no MAC address (default " KL_DEFAULT_STATE_DIR ")", "DIR" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  kl_daemon_options_add_to (&options, context);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!kl_daemon_options_parse (&options, context, &argc, &argv))
    return 2;
  if (options.version) {
    g_print ("sipd %s\n", KL_VERSION);
    return 0;
  }

  source = kl_daemon_options_get_source (&options);
  config = kl_config_load (&source, diagnostics, &error);
  if (check_config || print_config)
    return run_admin_command (config, diagnostics, error, print_config);

  kl_daemon_log_diagnostics (diagnostics);
  if (config == NULL) {
    g_warning ("refusing to start: %s", error->message);
    return 1;
  }

  clock = kl_clock_new ();
  manager = sipd_manager_new (&source, state_dir ? state_dir : KL_DEFAULT_STATE_DIR, clock, config, &error);
  if (manager == NULL) {
    g_warning ("cannot start: %s", error->message);
    return 1;
  }
  const KlDaemonHooks hooks = {
    .bus_name = "org.keepline.Sip",
    .bus_acquired = on_bus_acquired,
    .reload = on_reload,
    .shutdown = on_shutdown,
    .user_data = manager,
  };
  return kl_daemon_run (&hooks);
}

int
main (int argc, char **argv)
{
  kl_daemon_init_malloc ();
  kl_daemon_exit (run (argc, argv));
}
