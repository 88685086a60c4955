/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "uid"

#include <locale.h>

#include "kl-build-config.h"
#include "kl-daemon.h"
#include "uid-service.h"

static gboolean
on_bus_acquired (GDBusConnection *connection, gpointer user_data, GError **error)
{
  return uid_service_export (user_data, connection, error);
}

static void
on_shutdown (gpointer user_data)
{
  uid_service_unexport (user_data);
}

static int
run (int argc, char **argv)
{
  g_auto (KlDaemonOptions) options = { 0 };
  g_autoptr (GOptionContext) context = g_option_context_new ("- keepline phone screen service");
  g_autoptr (UidService) service = NULL;
  gboolean tty = FALSE;
  const GOptionEntry entries[] = {
    { "tty", 0, 0, G_OPTION_ARG_NONE, &tty, "Draw the screen on this terminal; keys 1-3 are its soft keys", NULL },
    { NULL },
  };

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  kl_daemon_options_add_to (&options, context);
  if (!kl_daemon_options_parse (&options, context, &argc, &argv))
    return 2;
  if (options.version) {
    g_print ("uid %s\n", KL_VERSION);
    return 0;
  }

  service = uid_service_new (tty);
  const KlDaemonHooks hooks = {
    .bus_name = "org.keepline.Ui",
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
