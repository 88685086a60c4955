/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor: every signal of keepline's three daemons, property changes
 * included, and each daemon coming and going, time-stamped, until Ctrl-C. */
#include "kctl.h"

#include <glib-unix.h>
#include <stdio.h>

static const char *const names[] = { KCTL_SIP, KCTL_NETMON, KCTL_UI };

typedef struct {
  Kctl *ctl;
  GMainLoop *loop;
  GHashTable *owners; /* unique name → the keepline name it owns */
  int ret;
} Monitor;

static char *
now_text (gboolean iso)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *seconds = NULL;

  if (iso)
    return g_date_time_format_iso8601 (now);
  seconds = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");
  return g_strdup_printf ("%s.%03d", seconds, g_date_time_get_microsecond (now) / 1000);
}

static void
print_json (const char *name, const char *path, const char *iface, const char *member,
            GVariant *parameters)
{
  g_autofree char *time = now_text (TRUE);
  GVariantBuilder event;

  g_variant_builder_init (&event, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&event, "{sv}", "time", g_variant_new_string (time));
  g_variant_builder_add (&event, "{sv}", "sender", g_variant_new_string (name));
  g_variant_builder_add (&event, "{sv}", "path", g_variant_new_string (path));
  g_variant_builder_add (&event, "{sv}", "interface", g_variant_new_string (iface));
  g_variant_builder_add (&event, "{sv}", "member", g_variant_new_string (member));
  g_variant_builder_add (&event, "{sv}", "arguments", parameters);
  kctl_json_print (g_variant_builder_end (&event));
}

/* "Line1.PropertiesChanged State='registered' Phase='registered'" */
static char *
properties_text (GVariant *parameters)
{
  g_autoptr (GVariant) changed = g_variant_get_child_value (parameters, 1);
  g_autofree const char **invalidated = NULL;
  const char *iface;
  GString *text = g_string_new (NULL);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_get_child (parameters, 0, "&s", &iface);
  g_variant_get_child (parameters, 2, "^a&s", &invalidated);
  g_string_append_printf (text, "%s.PropertiesChanged", iface);
  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value)) {
    g_autofree char *printed = g_variant_print (value, FALSE);
    g_string_append_printf (text, " %s=%s", key, printed);
    g_variant_unref (value);
  }
  for (guint i = 0; invalidated && invalidated[i]; i++)
    g_string_append_printf (text, " %s (invalidated)", invalidated[i]);
  return g_string_free (text, FALSE);
}

static void
print_event (Monitor *monitor, const char *name, const char *path, const char *iface,
             const char *member, GVariant *parameters)
{
  g_autofree char *time = NULL;
  g_autofree char *what = NULL;

  if (monitor->ctl->json) {
    print_json (name, path, iface, member, parameters);
  } else {
    time = now_text (FALSE);
    if (g_str_equal (member, "PropertiesChanged")
        && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
      what = properties_text (parameters);
    else {
      g_autofree char *arguments = g_variant_print (parameters, FALSE);
      what = g_strdup_printf ("%s.%s %s", iface, member, arguments);
    }
    g_print ("%s %s %s %s\n", time, name, path, what);
  }
  fflush (stdout);
}

static void
on_owner_changed (Monitor *monitor, GVariant *parameters)
{
  const char *changed, *old_owner, *new_owner;
  const char *name = NULL; /* ours, not the message's: the table keeps it */
  g_autoptr (GVariant) owner = NULL;

  g_variant_get (parameters, "(&s&s&s)", &changed, &old_owner, &new_owner);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (names[i], changed))
      name = names[i];
  if (name == NULL)
    return;
  owner = g_variant_ref_sink (g_variant_new ("(s)", *new_owner ? new_owner : old_owner));
  print_event (monitor, name, "/org/freedesktop/DBus", "org.freedesktop.DBus",
               *new_owner ? "started" : "stopped", owner);
  if (*old_owner)
    g_hash_table_remove (monitor->owners, old_owner);
  if (*new_owner)
    g_hash_table_insert (monitor->owners, g_strdup (new_owner), (gpointer)name);
}

static void
on_signal (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  Monitor *monitor = user_data;
  const char *name;

  if (g_strcmp0 (sender, "org.freedesktop.DBus") == 0 && g_str_equal (member, "NameOwnerChanged")) {
    on_owner_changed (monitor, parameters);
    return;
  }
  name = sender ? g_hash_table_lookup (monitor->owners, sender) : NULL;
  if (name != NULL)
    print_event (monitor, name, path, iface, member, parameters);
}

static void
learn_owner (Monitor *monitor, const char *name)
{
  g_autoptr (GVariant) reply = kctl_call (monitor->ctl, "org.freedesktop.DBus",
                                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "GetNameOwner", g_variant_new ("(s)", name), "(s)", NULL);
  const char *owner;

  if (reply == NULL)
    return; /* not running now; NameOwnerChanged says when it starts */
  g_variant_get (reply, "(&s)", &owner);
  g_hash_table_insert (monitor->owners, g_strdup (owner), (gpointer)name);
}

static gboolean
on_stop (gpointer user_data)
{
  Monitor *monitor = user_data;

  g_main_loop_quit (monitor->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_closed (GDBusConnection *bus, gboolean remote_peer_vanished, GError *error, gpointer user_data)
{
  Monitor *monitor = user_data;

  monitor->ret = kctl_fail_with (KCTL_EXIT_NOT_RUNNING, "the system bus went away");
  g_main_loop_quit (monitor->loop);
}

int
kctl_monitor (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GHashTable) owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Monitor monitor = { ctl, loop, owners, KCTL_EXIT_OK };
  guint subscription, interrupt, terminate;
  gulong closed;

  if (argc > 1)
    return kctl_usage_error ("monitor: unexpected argument '%s'", argv[1]);
  g_dbus_connection_set_exit_on_close (ctl->bus, FALSE);
  closed = g_signal_connect (ctl->bus, "closed", G_CALLBACK (on_closed), &monitor);
  /* every signal, sorted by sender here: a subscription per well-known name
   * would match, in GDBus, every sender at once */
  subscription = g_dbus_connection_signal_subscribe (
      ctl->bus, NULL, NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &monitor, NULL);
  /* the bus handles AddMatch before these calls: nothing is missed from here on */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    learn_owner (&monitor, names[i]);
  interrupt = g_unix_signal_add (SIGINT, on_stop, &monitor);
  terminate = g_unix_signal_add (SIGTERM, on_stop, &monitor);
  g_printerr ("Monitoring %s, %s and %s; Ctrl-C stops.\n", names[0], names[1], names[2]);
  g_main_loop_run (loop);
  g_source_remove (interrupt);
  g_source_remove (terminate);
  g_dbus_connection_signal_unsubscribe (ctl->bus, subscription);
  g_signal_handler_disconnect (ctl->bus, closed);
  return monitor.ret;
}
