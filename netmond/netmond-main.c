/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "netmond"

#include <locale.h>

#include "kl-build-config.h"
#include "kl-daemon.h"
#include "kl-system.h"
#include "netmond-service.h"

static gboolean
on_bus_acquired (GDBusConnection *connection, gpointer user_data, GError **error)
{
  return netmond_service_export (user_data, connection, error);
}

static void
on_shutdown (gpointer user_data)
{
  netmond_service_stop (user_data);
}

static int
run (int argc, char **argv)
{
  g_auto (KlDaemonOptions) options = { 0 };
  g_autoptr (GOptionContext) context = g_option_context_new ("- keepline network monitor");
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  g_autoptr (NetmondService) service = NULL;
  g_autoptr (KlClock) clock = kl_clock_new ();
  KlConfigSource source;

  setlocale (LC_ALL, "");
  kl_daemon_options_add_to (&options, context);
  if (!kl_daemon_options_parse (&options, context, &argc, &argv))
    return 2;
  if (options.version) {
    g_print ("netmond %s\n", KL_VERSION);
    return 0;
  }

  source = kl_daemon_options_get_source (&options);
  config = kl_config_load (&source, diagnostics, &error);
  kl_daemon_log_diagnostics (diagnostics);
  if (config == NULL) {
    g_warning ("refusing to start: %s", error->message);
    return 1;
  }

  service = netmond_service_new (clock, config, kl_system_srv_seed (source.mac), &error);
  if (service == NULL) {
    g_warning ("refusing to start: %s", error->message);
    return 1;
  }
  const KlDaemonHooks hooks = {
    .bus_name = "org.keepline.NetMon",
    .bus_acquired = on_bus_acquired,
    .shutdown = on_shutdown,
    .user_data = service,
  };
  return kl_daemon_run (&hooks);
}

int
main (int argc, char **argv)
{
  kl_daemon_init_malloc ();
  kl_daemon_exit (run (argc, argv));
}
