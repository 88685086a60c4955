/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-bus.h"

#include <glib/gstdio.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#define WAIT_TIMEOUT_MS 10000

static const char *
path_under (const char *variable, const char *relative)
{
  const char *top = g_getenv (variable);
  g_autofree char *path = NULL;

  if (top == NULL)
    g_error ("%s is not set; run the tests with meson test", variable);
  path = g_build_filename (top, relative, NULL);
  return g_intern_string (path);
}

const char *
kl_test_build_path (const char *relative)
{
  return path_under ("KL_BUILD_DIR", relative);
}

const char *
kl_test_source_path (const char *relative)
{
  return path_under ("KL_SOURCE_DIR", relative);
}

/* Children die with the test, even when it crashes. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* tests/data/system-bus.conf.in: Debian's system bus policy plus keepline's own.
 * Run as root, this is exactly production; run as another user, that user is also
 * allowed to own the names so the daemons can start. */
static char *
bus_config (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *template = NULL;
  g_autofree char *extra = NULL;
  g_autoptr (GString) config = NULL;

  g_file_get_contents (kl_test_source_path ("tests/data/system-bus.conf.in"), &template, NULL, &error);
  g_assert_no_error (error);
  if (getuid () != 0) {
    struct passwd *pw = getpwuid (getuid ());
    extra = g_strdup_printf ("<policy user=\"%s\"><allow own_prefix=\"org.keepline\"/>"
                             "<allow send_destination=\"org.keepline.Sip\"/></policy>",
                             pw ? pw->pw_name : "root");
  }
  config = g_string_new (template);
  g_string_replace (config, "@BUS_DIR@", dir, 0);
  g_string_replace (config, "@POLICY_DIR@", kl_test_source_path ("systemd/dbus-policy"), 0);
  g_string_replace (config, "@EXTRA_POLICY@", extra ? extra : "", 0);
  return g_string_free (g_steal_pointer (&config), FALSE);
}

KlTestBus *
kl_test_bus_new (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  KlTestBus *bus = g_new0 (KlTestBus, 1);
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *line = NULL;
  g_autoptr (GDataInputStream) out = NULL;

  bus->dir = g_dir_make_tmp ("kl-test-bus-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (bus->dir, 0755); /* other users reach the socket in the policy tests */
  config = bus_config (bus->dir);
  config_path = g_build_filename (bus->dir, "bus.conf", NULL);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus->process = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--nofork",
                                              "--print-address=1", "--config-file", config_path,
                                              NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  bus->address = g_strdup (g_strstrip (line));

  bus->connection = g_dbus_connection_new_for_address_sync (
    bus->address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  return bus;
}

void
kl_test_process_stop (GSubprocess *process)
{
  g_autoptr (GError) error = NULL;

  if (g_subprocess_get_identifier (process) == NULL)
    return; /* already reaped */
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
}

/* Stops a daemon by its PID and checks that it ended as it should: on
 * SIGTERM, with status 0. Clears *process; nothing happens for NULL. */
void
kl_test_daemon_stop (GSubprocess **process)
{
  if (*process == NULL)
    return;
  kl_test_process_stop (*process);
  if (g_subprocess_get_if_signaled (*process))
    g_error ("a daemon died of signal %d instead of stopping on SIGTERM", g_subprocess_get_term_sig (*process));
  g_assert_cmpint (g_subprocess_get_exit_status (*process), ==, 0);
  g_clear_object (process);
}

int
kl_test_process_wait (GSubprocess *process)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_signaled (process))
    return 128 + g_subprocess_get_term_sig (process);
  return g_subprocess_get_exit_status (process);
}

void
kl_test_bus_free (KlTestBus *bus)
{
  if (bus->connection != NULL)
    g_dbus_connection_close_sync (bus->connection, NULL, NULL);
  g_clear_object (&bus->connection);
  kl_test_process_stop (bus->process);
  g_clear_object (&bus->process);
  kl_test_config_dir_remove (bus->dir);
  g_free (bus->dir);
  g_free (bus->address);
  g_free (bus);
}

/* KL_TEST_WRAPPER, e.g. "valgrind --error-exitcode=99", runs the daemons under a tool. */
static GPtrArray *
wrapped (const char *const *argv)
{
  GPtrArray *full = g_ptr_array_new_with_free_func (g_free);
  const char *wrapper = g_getenv ("KL_TEST_WRAPPER");

  if (wrapper != NULL && g_str_has_prefix (argv[0], g_getenv ("KL_BUILD_DIR"))) {
    g_auto (GStrv) words = g_strsplit (wrapper, " ", -1);
    for (guint i = 0; words[i]; i++)
      if (*words[i])
        g_ptr_array_add (full, g_strdup (words[i]));
  }
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (full, g_strdup (argv[i]));
  g_ptr_array_add (full, NULL);
  return full;
}

/* A server of the test's own that must not outlive it: a failed assertion
 * skips the teardown, and a child left holding the test's stderr would keep
 * meson waiting until the test's time-out. */
GSubprocess *
kl_test_spawn (GSubprocessFlags flags, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

GSubprocess *
kl_test_bus_spawn (KlTestBus *bus, GSubprocessFlags flags, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) full = wrapped (argv);
  GSubprocess *process;

  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) full->pdata, &error);
  g_assert_no_error (error);
  return process;
}

GSubprocess *
kl_test_bus_spawn_daemon (KlTestBus *bus, const char *daemon, const char *config_dir)
{
  g_autofree char *relative = g_strdup_printf ("%s/%s", daemon, daemon);
  const char *argv[] = { kl_test_build_path (relative), "--config-dir", config_dir,
                         "--mac", "00085D0A0B0C", NULL };

  return kl_test_bus_spawn (bus, G_SUBPROCESS_FLAGS_NONE, argv);
}

typedef struct {
  KlTestBus *bus;
  const char *name;
  gboolean owned;
} NameWait;

static gboolean
name_has_owner (gpointer data)
{
  NameWait *wait = data;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
    wait->bus->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
    "NameHasOwner", g_variant_new ("(s)", wait->name), G_VARIANT_TYPE ("(b)"),
    G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean has_owner = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner == wait->owned;
}

gboolean
kl_test_bus_wait_for_name (KlTestBus *bus, const char *name, gboolean owned)
{
  NameWait wait = { bus, name, owned };

  return kl_test_wait_until (name_has_owner, &wait, WAIT_TIMEOUT_MS);
}

/* Polls while running the default main context, so that signals and property
 * changes reach proxies created by the test. */
gboolean
kl_test_not_yet (char **why, const char *format, ...)
{
  va_list args;

  g_free (*why);
  va_start (args, format);
  *why = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

gboolean
kl_test_wait_until (gboolean (*condition) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!condition (data)) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_usleep (10 * 1000);
  }
  return TRUE;
}

static void
on_line_properties (GDBusProxy *line, GVariant *changed, const char *const *invalidated, gpointer user_data)
{
  KlTestRegisteredWatch *watch = user_data;
  g_autoptr (GVariant) state = g_dbus_proxy_get_cached_property (line, "State");
  gboolean registered = state != NULL && g_strcmp0 (g_variant_get_string (state, NULL), "registered") == 0;

  if (watch->was_registered && !registered)
    watch->left++;
  watch->was_registered = registered;
}

void
kl_test_watch_registered (GDBusProxy *line, KlTestRegisteredWatch *watch)
{
  g_signal_connect (line, "g-properties-changed", G_CALLBACK (on_line_properties), watch);
}

void
kl_test_lookup (GVariant *entry, const char *key, const char *format, ...)
{
  g_autoptr (GVariant) value = NULL;
  va_list args;

  g_variant_get_data (entry); /* serialised, so that strings outlive value */
  value = g_variant_lookup_value (entry, key, NULL);
  if (value == NULL || !g_variant_check_format_string (value, format, FALSE)) {
    g_autofree char *text = g_variant_print (entry, TRUE);
    g_error ("no key '%s' of type %s in %s", key, format, text);
  }
  va_start (args, format);
  g_variant_get_va (value, format, NULL, &args);
  va_end (args);
}

char *
kl_test_config_dir_new (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("kl-test-cfg-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
kl_test_config_write (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  /* as a phone keeps the files that hold its passwords: sipd warns otherwise */
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
}

void
kl_test_config_dir_remove (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle && (name = g_dir_read_name (handle)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  g_rmdir (dir);
}
