/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The system bus, calls without auto-start, and every failure as one line with
 * an exit code a script can test. */
#include "kctl.h"

#include <stdio.h>
#include <string.h>

/* The daemons run under systemd; keeplinectl reports one that is not there
 * rather than starting it through bus activation. */
#define CALL_FLAGS G_DBUS_CALL_FLAGS_NO_AUTO_START
#define CALL_TIMEOUT_MS 30000

GDBusConnection *
kctl_bus_connect (GError **error)
{
  return g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
}

static const char *
daemon_of (const char *name)
{
  if (g_str_equal (name, KCTL_SIP))
    return "sipd";
  if (g_str_equal (name, KCTL_NETMON))
    return "netmond";
  return "uid";
}

gboolean
kctl_has_owner (Kctl *ctl, const char *name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      ctl->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
      CALL_TIMEOUT_MS, NULL, NULL);
  gboolean has_owner = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* 0 when NAME is on the bus; otherwise says so and returns KCTL_EXIT_NOT_RUNNING. */
int
kctl_need (Kctl *ctl, const char *name)
{
  if (kctl_has_owner (ctl, name))
    return KCTL_EXIT_OK;
  return kctl_fail_with (KCTL_EXIT_NOT_RUNNING, "%s is not running (no %s on the system bus)",
                         daemon_of (name), name);
}

GVariant *
kctl_call (Kctl *ctl, const char *name, const char *path, const char *iface, const char *method,
           GVariant *parameters, const char *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (ctl->bus, name, path, iface, method, parameters,
                                      reply_type ? G_VARIANT_TYPE (reply_type) : NULL, CALL_FLAGS,
                                      CALL_TIMEOUT_MS, NULL, error);
}

GVariant *
kctl_get_all (Kctl *ctl, const char *name, const char *path, const char *iface, GError **error)
{
  g_autoptr (GVariant) reply = kctl_call (ctl, name, path, "org.freedesktop.DBus.Properties",
                                          "GetAll", g_variant_new ("(s)", iface), "(a{sv})", error);

  return reply ? g_variant_get_child_value (reply, 0) : NULL;
}

static int G_GNUC_PRINTF (2, 0) vfail (KctlExit code, const char *format, va_list args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  fflush (stdout);
  g_printerr ("keeplinectl: %s\n", text);
  return code;
}

int
kctl_fail_with (KctlExit code, const char *format, ...)
{
  va_list args;
  int ret;

  va_start (args, format);
  ret = vfail (code, format, args);
  va_end (args);
  return ret;
}

int
kctl_usage_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vfail (KCTL_EXIT_USAGE, format, args);
  va_end (args);
  g_printerr ("Try 'keeplinectl --help'.\n");
  return KCTL_EXIT_USAGE;
}

/* The name of a D-Bus error and its message without the name GDBus puts in front. */
int
kctl_fail (const char *what, const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  g_autoptr (GError) copy = g_error_copy (error);
  KctlExit code = KCTL_EXIT_FAILED;
  const char *message;
  char *newline;

  g_dbus_error_strip_remote_error (copy);
  message = copy->message;
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED)) {
    code = KCTL_EXIT_DENIED;
    message = "permission denied: only root and the group keepline may do this";
  } else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
             || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
    code = KCTL_EXIT_NOT_RUNNING;
    message = "the daemon is not running";
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
             || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_FILE_NOT_FOUND)
             || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_SERVER)
             || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED)) {
    code = KCTL_EXIT_NOT_RUNNING;
  } else if (g_strcmp0 (remote, "org.keepline.NetMon.Error.NotFound") == 0
             || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT)) {
    code = KCTL_EXIT_NOT_FOUND;
  }
  /* one line: what follows a newline (more errors of a reload) the caller prints */
  newline = strchr (copy->message, '\n');
  if (newline != NULL && message == copy->message)
    *newline = '\0';
  return kctl_fail_with (code, "%s: %s", what, message);
}
