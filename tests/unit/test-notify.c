/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service manager's notification protocol as systemd reads it: one
 * datagram per state on the socket of $NOTIFY_SOCKET, a path or an abstract
 * name; nothing without the variable; the watchdog interval from
 * $WATCHDOG_USEC, for this process only. */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "kl-notify.h"

static char *
receive (GSocket *socket)
{
  char buffer[256];
  gssize got;

  g_assert_true (g_socket_condition_timed_wait (socket, G_IO_IN, G_USEC_PER_SEC, NULL, NULL));
  got = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL);
  g_assert_cmpint (got, >, 0);
  buffer[got] = '\0';
  return g_strdup (buffer);
}

static GSocket *
listen_at (GSocketAddress *address)
{
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  return socket;
}

static void
test_states_reach_a_path_socket (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kl-notify-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "notify", NULL);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GSocket) socket = listen_at (address);
  g_autofree char *ready = NULL;
  g_autofree char *status = NULL;

  g_setenv ("NOTIFY_SOCKET", path, TRUE);
  g_assert_true (kl_notify ("READY=1"));
  g_assert_true (kl_notify ("STATUS=2/3 lines registered"));
  ready = receive (socket);
  status = receive (socket);
  g_assert_cmpstr (ready, ==, "READY=1");
  g_assert_cmpstr (status, ==, "STATUS=2/3 lines registered");
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_states_reach_an_abstract_socket (void)
{
  g_autofree char *name = g_strdup_printf ("kl-notify-test-%d", getpid ());
  g_autofree char *variable = g_strdup_printf ("@%s", name);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new_with_type (name, -1,
                                                                          G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  g_autoptr (GSocket) socket = listen_at (address);
  g_autofree char *watchdog = NULL;

  g_setenv ("NOTIFY_SOCKET", variable, TRUE);
  g_assert_true (kl_notify ("WATCHDOG=1"));
  watchdog = receive (socket);
  g_assert_cmpstr (watchdog, ==, "WATCHDOG=1");
}

static void
test_nothing_happens_without_the_variable (void)
{
  g_unsetenv ("NOTIFY_SOCKET");
  g_assert_false (kl_notify ("READY=1"));
}

static void
test_the_watchdog_interval_is_half_the_timeout_for_this_process_only (void)
{
  g_autofree char *pid = g_strdup_printf ("%d", getpid ());

  g_unsetenv ("WATCHDOG_USEC");
  g_assert_cmpuint (kl_notify_watchdog_interval_ms (), ==, 0);
  g_setenv ("WATCHDOG_USEC", "30000000", TRUE);
  g_setenv ("WATCHDOG_PID", pid, TRUE);
  g_assert_cmpuint (kl_notify_watchdog_interval_ms (), ==, 15000);
  g_setenv ("WATCHDOG_PID", "1", TRUE);
  g_assert_cmpuint (kl_notify_watchdog_interval_ms (), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/notify/states-reach-a-path-socket", test_states_reach_a_path_socket);
  g_test_add_func ("/notify/states-reach-an-abstract-socket", test_states_reach_an_abstract_socket);
  g_test_add_func ("/notify/nothing-happens-without-the-variable", test_nothing_happens_without_the_variable);
  g_test_add_func ("/notify/the-watchdog-interval-is-half-the-timeout-for-this-process-only",
                   test_the_watchdog_interval_is_half_the_timeout_for_this_process_only);
  return g_test_run ();
}
