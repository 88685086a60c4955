/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeplinectl: keepline's state and its changing methods from the command line. */
#include <locale.h>

#include "kctl.h"
#include "kl-build-config.h"

typedef struct {
  const char *name;
  KctlCommand run;
  const char *arguments;
  const char *summary;
} Command;

static const Command commands[] = {
  { "status", kctl_status, "", "lines, servers, flows, failovers, network and DNS on one screen" },
  { "line", kctl_line, "N", "everything about line N" },
  { "flows", kctl_flows, "", "every flow: keep-alive, round trip, failures" },
  { "servers", kctl_servers, "", "the servers in use, and what DNS and the probes say of them" },
  { "calls", kctl_calls, "", "the calls sipd holds" },
  { "dial", kctl_dial, "LINE URI [--sdp FILE]", "place a call from LINE" },
  { "answer", kctl_answer, "[CALL] [--sdp FILE]", "answer the ringing call (or call CALL)" },
  { "hangup", kctl_hangup, "[CALL]", "end the call (or call CALL)" },
  { "register", kctl_register, "LINE", "register LINE again now" },
  { "reload", kctl_reload, "", "read the configuration files again" },
  { "resolve", kctl_resolve, "NAME [udp|tcp|tls] [--port N]", "what netmond resolves NAME to now" },
  { "monitor", kctl_monitor, "", "every signal and property change of keepline, until Ctrl-C" },
};

static void
print_help (void)
{
  g_print ("Usage: keeplinectl [--json] COMMAND [ARGUMENTS]\n\n"
           "Shows keepline's state and drives it over the system bus.\n\n"
           "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_autofree char *usage = g_strdup_printf ("%s %s", commands[i].name, commands[i].arguments);
    g_print ("  %-38s %s\n", usage, commands[i].summary);
  }
  g_print ("\nOptions:\n"
           "  -j, --json    print JSON (one object, or one per event for monitor)\n"
           "  -h, --help    print this help\n"
           "  --version     print the version\n\n"
           "Exit status: 0 done; 1 a D-Bus error or the daemon refused; 2 bad usage;\n"
           "3 the daemon is not running; 4 permission denied (root and the group keepline\n"
           "may change things); 5 no such call, or no such name.\n"
           "See keeplinectl(1).\n");
}

static const Command *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) rest = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  Kctl ctl = { 0 };
  const Command *command;
  gboolean help = FALSE;
  gboolean version = FALSE;
  int ret;

  setlocale (LC_ALL, "");
  for (int i = 1; i < argc; i++) {
    if (g_str_equal (argv[i], "--json") || g_str_equal (argv[i], "-j"))
      ctl.json = TRUE;
    else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
      help = TRUE;
    else if (g_str_equal (argv[i], "--version"))
      version = TRUE;
    else
      g_ptr_array_add (rest, argv[i]);
  }
  g_ptr_array_add (rest, NULL);
  if (help) {
    print_help ();
    return KCTL_EXIT_OK;
  }
  if (version) {
    g_print ("keeplinectl %s\n", KL_VERSION);
    return KCTL_EXIT_OK;
  }
  if (rest->len == 1)
    return kctl_usage_error ("no command given");
  if (g_str_has_prefix (g_ptr_array_index (rest, 0), "-"))
    return kctl_usage_error ("unknown option '%s'", (char *)g_ptr_array_index (rest, 0));
  command = find_command (g_ptr_array_index (rest, 0));
  if (command == NULL)
    return kctl_usage_error ("unknown command '%s'", (char *)g_ptr_array_index (rest, 0));

  ctl.bus = kctl_bus_connect (&error);
  if (ctl.bus == NULL)
    return kctl_fail_with (KCTL_EXIT_NOT_RUNNING, "cannot reach the system bus: %s",
                           error->message);
  ret = command->run (&ctl, (int)rest->len - 1, (char **)rest->pdata);
  g_dbus_connection_flush_sync (ctl.bus, NULL, NULL);
  g_object_unref (ctl.bus);
  return ret;
}
