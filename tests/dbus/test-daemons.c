/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The three daemons on a private bus that enforces keepline's bus policy. */
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kl-build-config.h"
#include "kl-dbus.h"
#include "kl-ipc-docs.h"
#include "kl-test-bus.h"

#define SIP_NAME "org.keepline.Sip"
#define NETMON_NAME "org.keepline.NetMon"
#define UI_NAME "org.keepline.Ui"

/* No server listens at 127.0.255.2:5999: the lines keep trying to register. */
static const char base_config[] =
  "sip local port: 0\n"
  "sip proxy ip: 127.0.255.2\n"
  "sip proxy port: 5999\n"
  "sip line1 user name: 1001\n"
  "sip line1 screen name: Alice\n"
  "sip line1 password: topsecret\n"
  "sip line2 user name: 1002\n"
  "sip line2 transport protocol: 2\n";

typedef struct {
  KlTestBus *bus;
  char *config_dir;
  GSocket *silent_dns; /* a nameserver that reads and never answers, for some tests */
  GSubprocess *sipd;
  GSubprocess *netmond;
  GSubprocess *uid;
} Fixture;

static GSubprocess *
start_daemon (Fixture *f, const char *daemon, const char *name)
{
  GSubprocess *process = kl_test_bus_spawn_daemon (f->bus, daemon, f->config_dir);

  g_assert_true (kl_test_bus_wait_for_name (f->bus, name, TRUE));
  return process;
}

static void
stop_daemon (Fixture *f, GSubprocess **process, const char *name)
{
  if (*process == NULL)
    return;
  kl_test_process_stop (*process);
  /* SIGTERM is a clean stop: exit status 0 (and no leak under LeakSanitizer) */
  g_assert_true (g_subprocess_get_if_exited (*process));
  g_assert_cmpint (g_subprocess_get_exit_status (*process), ==, 0);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, name, FALSE));
  g_clear_object (process);
}

static const char with_silent_dns[] = "with a nameserver that never answers";

static void
use_silent_dns (Fixture *f)
{
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  f->silent_dns = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (f->silent_dns, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (f->silent_dns, &error);
  text = g_strdup_printf ("sip dns server: 127.0.0.1:%u\n",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  kl_test_config_write (f->config_dir, "local.cfg", text);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->bus = kl_test_bus_new ();
  f->config_dir = kl_test_config_dir_new ();
  kl_test_config_write (f->config_dir, "aastra.cfg", base_config);
  if (data == with_silent_dns)
    use_silent_dns (f);
  f->sipd = start_daemon (f, "sipd", SIP_NAME);
  f->netmond = start_daemon (f, "netmond", NETMON_NAME);
  f->uid = start_daemon (f, "uid", UI_NAME);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  stop_daemon (f, &f->uid, UI_NAME);
  stop_daemon (f, &f->netmond, NETMON_NAME);
  stop_daemon (f, &f->sipd, SIP_NAME);
  kl_test_config_dir_remove (f->config_dir);
  g_free (f->config_dir);
  g_clear_object (&f->silent_dns);
  kl_test_bus_free (f->bus);
}

static KlSipLine1 *
line_proxy (Fixture *f, guint index)
{
  g_autofree char *path = g_strdup_printf ("/org/keepline/Sip/Line/%u", index);
  g_autoptr (GError) error = NULL;
  KlSipLine1 *line = kl_sip_line1_proxy_new_sync (f->bus->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                   SIP_NAME, path, NULL, &error);

  g_assert_no_error (error);
  return line;
}

static KlSipManager1 *
manager_proxy (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  KlSipManager1 *manager = kl_sip_manager1_proxy_new_sync (f->bus->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                           SIP_NAME, "/org/keepline/Sip", NULL, &error);

  g_assert_no_error (error);
  return manager;
}

static KlUi1 *
ui_proxy (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  KlUi1 *ui = kl_ui1_proxy_new_sync (f->bus->connection, G_DBUS_PROXY_FLAGS_NONE, UI_NAME,
                                     "/org/keepline/Ui", NULL, &error);

  g_assert_no_error (error);
  return ui;
}

/* sipd */

static void
test_sipd_exports_nine_lines_with_their_configuration (Fixture *f, gconstpointer data)
{
  g_autoptr (KlSipManager1) manager = manager_proxy (f);
  g_autoptr (KlSipLine1) line1 = line_proxy (f, 1);
  g_autoptr (KlSipLine1) line2 = line_proxy (f, 2);
  g_autoptr (KlSipLine1) line3 = line_proxy (f, 3);
  const char *const *lines = kl_sip_manager1_get_lines (manager);
  const char *const expect_files[] = { "aastra.cfg", NULL };

  g_assert_cmpstr (kl_sip_manager1_get_version (manager), ==, KL_VERSION);
  g_assert_cmpuint (g_strv_length ((char **) lines), ==, 9);
  g_assert_cmpstr (lines[0], ==, "/org/keepline/Sip/Line/1");
  g_assert_cmpstr (lines[8], ==, "/org/keepline/Sip/Line/9");
  g_assert_cmpstrv (kl_sip_manager1_get_config_files (manager), expect_files);
  g_assert_cmpuint (kl_sip_manager1_get_timer_scale_percent (manager), ==, 100);

  g_assert_cmpuint (kl_sip_line1_get_index (line1), ==, 1);
  g_assert_cmpstr (kl_sip_line1_get_state (line1), ==, "registering");
  g_assert_cmpstr (kl_sip_line1_get_aor (line1), ==, "sip:1001@127.0.255.2");
  g_assert_cmpstr (kl_sip_line1_get_proxy (line1), ==, "127.0.255.2:5999");
  g_assert_cmpstr (kl_sip_line1_get_screen_name (line1), ==, "Alice");
  g_assert_cmpstr (kl_sip_line1_get_transport (line1), ==, "udp");
  g_assert_cmpstr (kl_sip_line1_get_registrar (line1), ==, "");
  g_assert_false (kl_sip_line1_get_on_backup (line1));
  g_assert_cmpstr (kl_sip_line1_get_transport (line2), ==, "tcp");
  g_assert_cmpstr (kl_sip_line1_get_state (line3), ==, "disabled");
  g_assert_cmpstr (kl_sip_line1_get_aor (line3), ==, "");
}

static void
test_sipd_never_puts_a_password_on_the_bus (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) objects = g_dbus_connection_call_sync (
    f->bus->connection, SIP_NAME, "/org/keepline/Sip", "org.freedesktop.DBus.ObjectManager",
    "GetManagedObjects", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = g_variant_print (objects, FALSE);
  g_assert_nonnull (strstr (text, "sip:1001@127.0.255.2"));
  g_assert_null (strstr (text, "topsecret"));
}

static gboolean
aor_is (gpointer data)
{
  KlSipLine1 *line = data;
  return g_strcmp0 (kl_sip_line1_get_aor (line), g_object_get_data (G_OBJECT (line), "expect")) == 0;
}

static gboolean
wait_for_aor (KlSipLine1 *line, const char *expect)
{
  g_object_set_data_full (G_OBJECT (line), "expect", g_strdup (expect), g_free);
  return kl_test_wait_until (aor_is, line, 5000);
}

static void
test_sipd_reload_with_a_bad_value_keeps_the_last_good_configuration (Fixture *f, gconstpointer data)
{
  g_autoptr (KlSipManager1) manager = manager_proxy (f);
  g_autoptr (KlSipLine1) line1 = line_proxy (f, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *remote = NULL;

  kl_test_config_write (f->config_dir, "local.cfg",
                        "sip line1 user name: 2001\n"
                        "sip proxy port: 70000\n"
                        "sip line10 user name: 3000\n");
  g_assert_false (kl_sip_manager1_call_reload_sync (manager, NULL, &error));
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.keepline.Sip.Error.InvalidConfig");
  g_assert_nonnull (strstr (error->message, "last good configuration stays in force"));
  g_assert_nonnull (strstr (error->message,
                            "local.cfg:2: error: sip proxy port: 70000 is above the maximum 65535"));
  g_assert_nonnull (strstr (error->message,
                            "local.cfg:3: error: sip line10 user name: line 10 is out of range 1-9"));

  /* nothing changed, and sipd still answers */
  g_clear_object (&line1);
  line1 = line_proxy (f, 1);
  g_assert_cmpstr (kl_sip_line1_get_aor (line1), ==, "sip:1001@127.0.255.2");
  g_assert_cmpstr (kl_sip_line1_get_proxy (line1), ==, "127.0.255.2:5999");
}

static void
test_sipd_reload_with_a_good_configuration_announces_the_changes (Fixture *f, gconstpointer data)
{
  g_autoptr (KlSipManager1) manager = manager_proxy (f);
  g_autoptr (KlSipLine1) line1 = line_proxy (f, 1);
  g_autoptr (KlSipLine1) line3 = line_proxy (f, 3);
  g_autoptr (GError) error = NULL;
  const char *const expect_files[] = { "aastra.cfg", "local.cfg", NULL };

  kl_test_config_write (f->config_dir, "local.cfg",
                        "sip line1 user name: 2001\n"
                        "sip line3 user name: 1003\n"
                        "sip line3 proxy ip: 2001:db8::7\n");
  g_assert_true (kl_sip_manager1_call_reload_sync (manager, NULL, &error));
  g_assert_no_error (error);

  /* The proxies learn the new values only through PropertiesChanged. */
  g_assert_true (wait_for_aor (line1, "sip:2001@127.0.255.2"));
  g_assert_true (wait_for_aor (line3, "sip:1003@[2001:db8::7]"));
  g_assert_cmpstr (kl_sip_line1_get_state (line3), ==, "registering");
  g_assert_cmpstrv (kl_sip_manager1_get_config_files (manager), expect_files);
}

static void
test_sipd_sighup_rereads_and_survives_a_bad_configuration (Fixture *f, gconstpointer data)
{
  g_autoptr (KlSipLine1) line1 = line_proxy (f, 1);

  kl_test_config_write (f->config_dir, "local.cfg", "sip T1 timer: fast\nsip line1 user name: 2001\n");
  g_subprocess_send_signal (f->sipd, SIGHUP);
  g_usleep (300 * 1000);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, SIP_NAME, TRUE));
  g_clear_object (&line1);
  line1 = line_proxy (f, 1);
  g_assert_cmpstr (kl_sip_line1_get_aor (line1), ==, "sip:1001@127.0.255.2");

  kl_test_config_write (f->config_dir, "local.cfg", "sip line1 user name: 2001\n");
  g_subprocess_send_signal (f->sipd, SIGHUP);
  g_assert_true (wait_for_aor (line1, "sip:2001@127.0.255.2"));
}

static void
test_sipd_register_on_a_disabled_line_is_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (KlSipLine1) line5 = line_proxy (f, 5);
  g_autoptr (GError) error = NULL;
  g_autofree char *remote = NULL;

  g_assert_false (kl_sip_line1_call_register_sync (line5, NULL, &error));
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.keepline.Sip.Error.LineDisabled");
}

static char *
remote_error_of_dial (KlSipLine1 *line, const char *uri, const char *sdp)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  g_assert_false (kl_sip_line1_call_dial_sync (line, uri, sdp, &path, NULL, &error));
  g_test_message ("Dial (%s): %s", uri, error->message);
  return g_dbus_error_get_remote_error (error);
}

/* Line 1 has a server nobody answers at: never registered. Nothing is sent
 * and no call object appears for a Dial that is refused. */
static void
test_sipd_dial_refuses_what_cannot_be_called (Fixture *f, gconstpointer data)
{
  static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                            "m=audio 4000 RTP/AVP 0\r\n";
  g_autoptr (KlSipLine1) line1 = line_proxy (f, 1);
  g_autoptr (KlSipLine1) line5 = line_proxy (f, 5);
  g_autoptr (KlSipManager1) manager = manager_proxy (f);
  g_autofree char *disabled = remote_error_of_dial (line5, "1002", sdp);
  g_autofree char *unregistered = remote_error_of_dial (line1, "1002", sdp);

  g_assert_cmpstr (disabled, ==, "org.keepline.Sip.Error.LineDisabled");
  g_assert_cmpstr (unregistered, ==, "org.keepline.Sip.Error.NotRegistered");
  g_assert_cmpuint (g_strv_length ((GStrv) kl_sip_manager1_get_calls (manager)), ==, 0);
}

/* netmond */

static KlNetMon1 *
netmon_proxy (GDBusConnection *connection)
{
  g_autoptr (GError) error = NULL;
  KlNetMon1 *netmon = kl_net_mon1_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE, NETMON_NAME,
                                                  "/org/keepline/NetMon", NULL, &error);

  g_assert_no_error (error);
  return netmon;
}

static void
test_netmond_shows_loopback_and_why_it_is_online (Fixture *f, gconstpointer data)
{
  g_autoptr (KlNetMon1) netmon = netmon_proxy (f->bus->connection);
  GVariant *links = kl_net_mon1_get_links (netmon);
  g_autofree char *text = g_variant_print (links, FALSE);
  const char *online = kl_net_mon1_get_online (netmon);

  g_test_message ("Links: %s; Online: %s (%s)", text, online, kl_net_mon1_get_online_reason (netmon));
  g_assert_nonnull (strstr (text, "('lo', 'up', ['127.0.0.1/8'"));
  g_assert_true (g_str_equal (online, "none") || g_str_equal (online, "limited") || g_str_equal (online, "full"));
  g_assert_cmpstr (kl_net_mon1_get_online_reason (netmon), !=, "");
}

/* netmond's entry for a server as "host port transport state", or NULL */
static char *
find_server (KlNetMon1 *netmon, const char *host, const char *transport)
{
  GVariant *servers = kl_net_mon1_get_servers (netmon);

  for (gsize i = 0; servers != NULL && i < g_variant_n_children (servers); i++) {
    g_autoptr (GVariant) server = g_variant_get_child_value (servers, i);
    const char *entry_host, *entry_transport, *state;
    guint16 port;

    kl_test_lookup (server, "host", "&s", &entry_host);
    kl_test_lookup (server, "port", "q", &port);
    kl_test_lookup (server, "transport", "&s", &entry_transport);
    kl_test_lookup (server, "state", "&s", &state);
    if (g_str_equal (entry_host, host) && g_str_equal (entry_transport, transport))
      return g_strdup_printf ("%s %u %s %s", entry_host, port, entry_transport, state);
  }
  return NULL;
}

typedef struct {
  KlNetMon1 *netmon;
  const char *host;
  const char *transport;
  const char *expected; /* NULL: the server is not there */
} ServerWait;

static gboolean
server_is (gpointer data)
{
  ServerWait *wait = data;
  g_autofree char *entry = find_server (wait->netmon, wait->host, wait->transport);

  return g_strcmp0 (entry, wait->expected) == 0;
}

static void
wait_for_server (KlNetMon1 *netmon, const char *host, const char *transport, const char *expected)
{
  ServerWait wait = { netmon, host, transport, expected };

  if (!kl_test_wait_until (server_is, &wait, 5000)) {
    g_autofree char *entry = find_server (netmon, host, transport);
    g_error ("netmond's entry for %s/%s is '%s', not '%s'", host, transport, entry, expected);
  }
}

/* The TCP probe of sipd's server, on a port nobody listens on, failed. */
static gboolean
probe_failed (gpointer data)
{
  KlNetMon1 *netmon = data;
  GVariant *probes = kl_net_mon1_get_probes (netmon);

  for (gsize i = 0; probes != NULL && i < g_variant_n_children (probes); i++) {
    g_autoptr (GVariant) probe = g_variant_get_child_value (probes, i);
    const char *address, *transport, *state, *reason;
    guint16 port;

    kl_test_lookup (probe, "address", "&s", &address);
    kl_test_lookup (probe, "port", "q", &port);
    kl_test_lookup (probe, "transport", "&s", &transport);
    kl_test_lookup (probe, "state", "&s", &state);
    kl_test_lookup (probe, "reason", "&s", &reason);
    if (g_str_equal (address, "127.0.255.2") && port == 5999 && g_str_equal (transport, "tcp"))
      return !g_str_equal (state, "reachable") && g_str_has_prefix (reason, "TCP connect: ") &&
             strstr (reason, "refused") != NULL;
  }
  return FALSE;
}

static void
test_netmond_watches_and_probes_the_servers_of_sipd (Fixture *f, gconstpointer data)
{
  g_autoptr (KlNetMon1) netmon = netmon_proxy (f->bus->connection);

  wait_for_server (netmon, "127.0.255.2", "udp", "127.0.255.2 5999 udp resolved");
  wait_for_server (netmon, "127.0.255.2", "tcp", "127.0.255.2 5999 tcp resolved");
  g_assert_true (kl_test_wait_until (probe_failed, netmon, 5000));
}

static void
assert_invalid_args (GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  g_assert_cmpstr (remote, ==, "org.keepline.NetMon.Error.InvalidArgs");
  g_test_message ("%s", error->message);
}

static void
test_netmond_refuses_bad_arguments_and_goes_on (Fixture *f, gconstpointer data)
{
  g_autoptr (KlNetMon1) netmon = netmon_proxy (f->bus->connection);
  g_autoptr (GVariant) targets = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  GError *error = NULL;
  guint ttl;

  wait_for_server (netmon, "127.0.255.2", "udp", "127.0.255.2 5999 udp resolved");
  g_assert_false (kl_net_mon1_call_watch_servers_sync (netmon, g_variant_new_parsed ("[('', @q 0, 'udp')]"), NULL,
                                                       &error));
  assert_invalid_args (error);
  g_clear_error (&error);
  g_assert_false (kl_net_mon1_call_watch_servers_sync (netmon, g_variant_new_parsed ("[('pbx.test', @q 0, 'sctp')]"),
                                                       NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);
  g_assert_false (kl_net_mon1_call_resolve_sync (netmon, "", 0, "udp", NULL, NULL, NULL, NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);
  g_assert_false (kl_net_mon1_call_resolve_sync (netmon, "bad..name", 0, "udp", NULL, NULL, NULL, NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);

  /* an address needs no DNS; the default port of the transport */
  g_assert_true (kl_net_mon1_call_resolve_sync (netmon, "127.0.0.9", 0, "tls", &targets, &ttl, &path, NULL, &error));
  g_assert_no_error (error);
  text = g_variant_print (targets, FALSE);
  g_assert_cmpstr (text, ==, "[('127.0.0.9', 5061, 0)]");
  g_assert_cmpuint (ttl, ==, G_MAXUINT32);
  g_assert_cmpstr (path, ==, "address");

  /* sipd's servers are still watched, and netmond still runs */
  wait_for_server (netmon, "127.0.255.2", "udp", "127.0.255.2 5999 udp resolved");
  g_assert_true (kl_test_bus_wait_for_name (f->bus, NETMON_NAME, TRUE));
}

static void
free_error (GError *error)
{
  g_clear_error (&error);
}

static void
on_resolve_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GPtrArray *errors = user_data;
  GError *error = NULL;

  if (!kl_net_mon1_call_resolve_finish (KL_NET_MON1 (source), NULL, NULL, NULL, result, &error))
    g_ptr_array_add (errors, error);
  else
    g_ptr_array_add (errors, NULL);
}

/* A caller may have 16 Resolve calls waiting at once: the 17th is refused
 * with TooMany at once, and netmond goes on. */
static void
test_netmond_caps_the_resolves_a_caller_waits_for (Fixture *f, gconstpointer data)
{
  g_autoptr (KlNetMon1) netmon = netmon_proxy (f->bus->connection);
  g_autoptr (GPtrArray) answers = g_ptr_array_new_with_free_func ((GDestroyNotify) free_error);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *remote = NULL;
  GError *refused;

  for (guint i = 0; i < 17; i++) {
    g_autofree char *name = g_strdup_printf ("pbx%u.keepline.test", i);
    kl_net_mon1_call_resolve (netmon, name, 0, "udp", cancellable, on_resolve_done, answers);
  }
  while (answers->len < 1)
    g_main_context_iteration (NULL, TRUE);
  refused = g_ptr_array_index (answers, 0);
  g_assert_nonnull (refused);
  remote = g_dbus_error_get_remote_error (refused);
  g_assert_cmpstr (remote, ==, "org.keepline.NetMon.Error.TooMany");
  g_test_message ("the 17th: %s", refused->message);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, NETMON_NAME, TRUE));
  /* the 16 others wait on the silent nameserver: given up here */
  g_cancellable_cancel (cancellable);
  while (answers->len < 17)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_netmond_forgets_the_servers_of_a_watcher_that_leaves (Fixture *f, gconstpointer data)
{
  g_autoptr (KlNetMon1) netmon = netmon_proxy (f->bus->connection);
  g_autoptr (GError) error = NULL;
  GDBusConnection *other = g_dbus_connection_new_for_address_sync (
    f->bus->address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_autoptr (KlNetMon1) other_netmon = NULL;

  g_assert_no_error (error);
  other_netmon = netmon_proxy (other);
  g_assert_true (kl_net_mon1_call_watch_servers_sync (other_netmon,
                                                      g_variant_new_parsed ("[('127.0.255.77', @q 5070, 'udp')]"), NULL,
                                                      &error));
  g_assert_no_error (error);
  wait_for_server (netmon, "127.0.255.77", "udp", "127.0.255.77 5070 udp resolved");
  g_clear_object (&other_netmon);
  g_dbus_connection_close_sync (other, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (other);
  wait_for_server (netmon, "127.0.255.77", "udp", NULL);
  wait_for_server (netmon, "127.0.255.2", "udp", "127.0.255.2 5999 udp resolved");
}

/* Bus policy */

/* gdbus call as the user nobody, in no group but its own, or in the group
 * keepline too when KEEPLINE_GID is not 0. */
static int
run_as_nobody_in (Fixture *f, gid_t keepline_gid, const char *const *gdbus_args, char **ret_stderr)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *groups = g_strdup_printf ("--groups=%u", (guint) keepline_gid);
  int status;

  g_ptr_array_add (argv, (char *) "setpriv");
  g_ptr_array_add (argv, (char *) "--reuid=65534");
  g_ptr_array_add (argv, (char *) "--regid=65534");
  g_ptr_array_add (argv, keepline_gid != 0 ? groups : (char *) "--clear-groups");
  g_ptr_array_add (argv, (char *) "gdbus");
  g_ptr_array_add (argv, (char *) "call");
  g_ptr_array_add (argv, (char *) "--system");
  for (guint i = 0; gdbus_args[i]; i++)
    g_ptr_array_add (argv, (char *) gdbus_args[i]);
  g_ptr_array_add (argv, NULL);

  process = kl_test_bus_spawn (f->bus, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               (const char *const *) argv->pdata);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, ret_stderr, &error);
  g_assert_no_error (error);
  status = kl_test_process_wait (process);
  return status;
}

static int
run_as_nobody (Fixture *f, const char *const *gdbus_args, char **ret_stderr)
{
  return run_as_nobody_in (f, 0, gdbus_args, ret_stderr);
}

/* Every changing method of every daemon, Properties.Set included: nobody
 * gets AccessDenied from the bus before the daemon sees the call; a member
 * of the group keepline (KEEPLINE_GID not 0) reaches the daemon with each
 * method, whatever the daemon then answers. No property is writable, so
 * Properties.Set is root's alone. */
static void
assert_who_may_change_anything (Fixture *f, gid_t keepline_gid)
{
  static const char *const calls[][8] = {
    { SIP_NAME, "/org/keepline/Sip", "org.keepline.Sip.Manager1.Reload", NULL },
    { SIP_NAME, "/org/keepline/Sip/Line/1", "org.keepline.Sip.Line1.Register", NULL },
    { SIP_NAME, "/org/keepline/Sip/Line/1", "org.keepline.Sip.Line1.Dial", "1002", "v=0", NULL },
    { SIP_NAME, "/org/keepline/Sip/Line/1", "org.keepline.Sip.Line1.SendMessage", "1002", "hi", NULL },
    { SIP_NAME, "/org/keepline/Sip/Call/1", "org.keepline.Sip.Call1.Answer", "v=0", NULL },
    { SIP_NAME, "/org/keepline/Sip/Call/1", "org.keepline.Sip.Call1.Reject", "486", NULL },
    { SIP_NAME, "/org/keepline/Sip/Call/1", "org.keepline.Sip.Call1.Hangup", NULL },
    { SIP_NAME, "/org/keepline/Sip/Call/1", "org.keepline.Sip.Call1.Hold", "v=0", NULL },
    { SIP_NAME, "/org/keepline/Sip/Call/1", "org.keepline.Sip.Call1.Resume", "v=0", NULL },
    { SIP_NAME, "/org/keepline/Sip/Line/1", "org.freedesktop.DBus.Properties.Set", "org.keepline.Sip.Line1",
      "DisplayName", "<'x'>", NULL },
    { SIP_NAME, "/org/keepline/Sip", "org.freedesktop.DBus.Properties.Set", "org.keepline.Sip.Manager1",
      "TimerScalePercent", "<@u 1>", NULL },
    { NETMON_NAME, "/org/keepline/NetMon", "org.keepline.NetMon1.WatchServers", "[('pbx.test', 0, 'udp')]", NULL },
    { NETMON_NAME, "/org/keepline/NetMon", "org.keepline.NetMon1.Resolve", "pbx.test", "0", "udp", NULL },
    { NETMON_NAME, "/org/keepline/NetMon", "org.freedesktop.DBus.Properties.Set", "org.keepline.NetMon1",
      "Online", "<true>", NULL },
    { UI_NAME, "/org/keepline/Ui", "org.freedesktop.DBus.Properties.Set", "org.keepline.Ui1", "Screen",
      "<@as []>", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++) {
    g_autoptr (GPtrArray) args = g_ptr_array_new ();
    g_autofree char *err = NULL;

    g_ptr_array_add (args, (char *) "--dest");
    g_ptr_array_add (args, (char *) calls[i][0]);
    g_ptr_array_add (args, (char *) "--object-path");
    g_ptr_array_add (args, (char *) calls[i][1]);
    g_ptr_array_add (args, (char *) "--method");
    for (guint j = 2; calls[i][j] != NULL; j++)
      g_ptr_array_add (args, (char *) calls[i][j]);
    g_ptr_array_add (args, NULL);
    if (keepline_gid == 0 || g_str_equal (calls[i][2], "org.freedesktop.DBus.Properties.Set")) {
      g_assert_cmpint (run_as_nobody (f, (const char *const *) args->pdata, &err), !=, 0);
      if (strstr (err, "AccessDenied") == NULL)
        g_error ("%s's %s was not refused by the bus: %s", keepline_gid ? "a member of keepline" : "nobody",
                 calls[i][2], err);
    } else {
      (void) run_as_nobody_in (f, keepline_gid, (const char *const *) args->pdata, &err);
      g_test_message ("a member of keepline: %s: %s", calls[i][2], *err ? err : "done");
      if (strstr (err, "AccessDenied") != NULL)
        g_error ("a member of keepline was refused %s by the bus: %s", calls[i][2], err);
    }
  }
}

static void
test_policy_lets_anyone_read_but_only_root_reload (Fixture *f, gconstpointer data)
{
  const char *const get_state[] = { "--dest", SIP_NAME, "--object-path", "/org/keepline/Sip/Line/1",
                                    "--method", "org.freedesktop.DBus.Properties.Get",
                                    "org.keepline.Sip.Line1", "State", NULL };
  const char *const reload[] = { "--dest", SIP_NAME, "--object-path", "/org/keepline/Sip",
                                 "--method", "org.keepline.Sip.Manager1.Reload", NULL };
  const char *const reg[] = { "--dest", SIP_NAME, "--object-path", "/org/keepline/Sip/Line/1",
                              "--method", "org.keepline.Sip.Line1.Register", NULL };
  const char *const dial[] = { "--dest", SIP_NAME, "--object-path", "/org/keepline/Sip/Line/1",
                               "--method", "org.keepline.Sip.Line1.Dial", "1002", "v=0", NULL };
  g_autofree char *err6 = NULL;
  const char *const online[] = { "--dest", NETMON_NAME, "--object-path", "/org/keepline/NetMon",
                                 "--method", "org.freedesktop.DBus.Properties.Get",
                                 "org.keepline.NetMon1", "Online", NULL };
  const char *const watch[] = { "--dest", NETMON_NAME, "--object-path", "/org/keepline/NetMon",
                                "--method", "org.keepline.NetMon1.WatchServers", "[('pbx.test', 0, 'udp')]", NULL };
  g_autoptr (KlSipManager1) manager = manager_proxy (f);
  g_autoptr (GError) error = NULL;
  g_autofree char *err1 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *err4 = NULL;
  g_autofree char *err5 = NULL;

  if (getuid () != 0) {
    g_test_skip ("needs root to run a client as another user");
    return;
  }
  if (run_as_nobody (f, get_state, &err1) != 0)
    g_error ("nobody cannot read a property: %s", err1);
  g_assert_cmpint (run_as_nobody (f, reload, &err2), !=, 0);
  g_assert_nonnull (strstr (err2, "AccessDenied"));
  g_assert_cmpint (run_as_nobody (f, reg, &err3), !=, 0);
  g_assert_nonnull (strstr (err3, "AccessDenied"));
  if (run_as_nobody (f, online, &err4) != 0)
    g_error ("nobody cannot read netmond's Online: %s", err4);
  g_assert_cmpint (run_as_nobody (f, watch, &err5), !=, 0);
  g_assert_nonnull (strstr (err5, "AccessDenied"));
  g_assert_cmpint (run_as_nobody (f, dial, &err6), !=, 0);
  g_assert_nonnull (strstr (err6, "AccessDenied"));
  assert_who_may_change_anything (f, 0);

  /* root may */
  g_assert_true (kl_sip_manager1_call_reload_sync (manager, NULL, &error));
  g_assert_no_error (error);
}

/* The group keepline, as systemd-sysusers makes it from
 * systemd/sysusers.d/keepline.conf (tools/run-tests does, as an install
 * does): its members may do what root may. */
static void
test_policy_lets_the_group_keepline_change_everything (Fixture *f, gconstpointer data)
{
  const char *const reload[] = { "--dest", SIP_NAME, "--object-path", "/org/keepline/Sip",
                                 "--method", "org.keepline.Sip.Manager1.Reload", NULL };
  struct group *group = getgrnam ("keepline");
  g_autofree char *err = NULL;

  if (getuid () != 0) {
    g_test_skip ("needs root to run a client as another user");
    return;
  }
  if (group == NULL) {
    g_test_skip ("no group keepline here: systemd-sysusers systemd/sysusers.d/keepline.conf makes it");
    return;
  }
  if (run_as_nobody_in (f, group->gr_gid, reload, &err) != 0)
    g_error ("a member of keepline cannot Reload: %s", err);
  assert_who_may_change_anything (f, group->gr_gid);
}

/* The contract */

static void
collect_interfaces (GDBusConnection *connection, const char *name, const char *path, GPtrArray *found)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
    connection, name, path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
    G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_autoptr (GDBusNodeInfo) node = NULL;
  const char *xml;

  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);

  for (guint i = 0; node->interfaces && node->interfaces[i]; i++)
    g_ptr_array_add (found, g_dbus_interface_info_ref (node->interfaces[i]));
  for (guint i = 0; node->nodes && node->nodes[i]; i++) {
    g_autofree char *child = g_strdup_printf ("%s/%s", strcmp (path, "/") == 0 ? "" : path,
                                              node->nodes[i]->path);
    collect_interfaces (connection, name, child, found);
  }
}

static void
expect_member (KlIpcDocs *docs, const char *iface, const char *member, const char *signature)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", iface, member);
  const char *documented = g_hash_table_lookup (docs->members, key);

  if (documented == NULL)
    g_error ("%s is exposed on the bus but not in ipc/*.xml", key);
  g_assert_cmpstr (signature, ==, documented);
}

static void
check_interface (KlIpcDocs *docs, GDBusInterfaceInfo *iface)
{
  if (g_hash_table_lookup (docs->members, iface->name) == NULL)
    g_error ("interface %s is exposed on the bus but not in ipc/*.xml", iface->name);
  for (guint m = 0; iface->methods && iface->methods[m]; m++) {
    GDBusMethodInfo *method = iface->methods[m];
    g_autoptr (GString) in = g_string_new (NULL);
    g_autoptr (GString) out = g_string_new (NULL);
    g_autofree char *signature = NULL;

    for (guint a = 0; method->in_args && method->in_args[a]; a++)
      g_string_append (in, method->in_args[a]->signature);
    for (guint a = 0; method->out_args && method->out_args[a]; a++)
      g_string_append (out, method->out_args[a]->signature);
    signature = g_strdup_printf ("method in:%s out:%s", in->str, out->str);
    expect_member (docs, iface->name, method->name, signature);
  }
  for (guint s = 0; iface->signals && iface->signals[s]; s++) {
    GDBusSignalInfo *signal = iface->signals[s];
    g_autoptr (GString) args = g_string_new (NULL);
    g_autofree char *signature = NULL;

    for (guint a = 0; signal->args && signal->args[a]; a++)
      g_string_append (args, signal->args[a]->signature);
    signature = g_strdup_printf ("signal %s", args->str);
    expect_member (docs, iface->name, signal->name, signature);
  }
  for (guint p = 0; iface->properties && iface->properties[p]; p++) {
    GDBusPropertyInfo *property = iface->properties[p];
    g_autofree char *signature = g_strdup_printf ("property %s %d", property->signature, property->flags);
    expect_member (docs, iface->name, property->name, signature);
  }
}

static void
test_running_daemons_expose_only_documented_members (Fixture *f, gconstpointer data)
{
  static const char *const names[] = { SIP_NAME, NETMON_NAME, UI_NAME };
  g_autoptr (GError) error = NULL;
  g_autoptr (KlIpcDocs) docs = kl_ipc_docs_load_dir (kl_test_source_path ("ipc"), &error);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_no_error (error);
  for (guint n = 0; n < G_N_ELEMENTS (names); n++) {
    g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_dbus_interface_info_unref);

    collect_interfaces (f->bus->connection, names[n], "/", found);
    for (guint i = 0; i < found->len; i++) {
      GDBusInterfaceInfo *iface = g_ptr_array_index (found, i);
      if (g_str_has_prefix (iface->name, "org.freedesktop.DBus."))
        continue;
      check_interface (docs, iface);
      g_hash_table_add (seen, (gpointer) g_intern_string (iface->name));
    }
  }
  /* Each daemon really was looked at. */
  g_assert_true (g_hash_table_contains (seen, "org.keepline.Sip.Manager1"));
  g_assert_true (g_hash_table_contains (seen, "org.keepline.Sip.Line1"));
  g_assert_true (g_hash_table_contains (seen, "org.keepline.NetMon1"));
  g_assert_true (g_hash_table_contains (seen, "org.keepline.Ui1"));
}

/* Every key of every dictionary in value is documented for the property, with
 * its type; the keys seen are added to seen. */
static void
check_keys (GHashTable *documented, const char *property, GVariant *value, GHashTable *seen)
{
  GVariantIter iter;
  GVariant *child;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT)) {
    const char *key;

    g_variant_iter_init (&iter, value);
    while (g_variant_iter_next (&iter, "{&sv}", &key, &child)) {
      g_autoptr (GVariant) item = child;
      const char *type = g_hash_table_lookup (documented, key);

      if (type == NULL)
        g_error ("%s carries the key \"%s\", which ipc/*.xml does not document", property, key);
      if (!g_str_equal (g_variant_get_type_string (item), type))
        g_error ("%s carries the key \"%s\" as %s, but ipc/*.xml documents it as %s", property, key,
                 g_variant_get_type_string (item), type);
      g_hash_table_add (seen, g_strdup (key));
      check_keys (documented, property, item, seen);
    }
  } else if (g_variant_is_container (value)) {
    g_variant_iter_init (&iter, value);
    while ((child = g_variant_iter_next_value (&iter)) != NULL) {
      check_keys (documented, property, child, seen);
      g_variant_unref (child);
    }
  }
}

static gboolean
has_flows (gpointer data)
{
  GVariant *flows = kl_sip_line1_get_flows (data);

  return flows != NULL && g_variant_n_children (flows) > 0;
}

static void
test_running_daemons_publish_only_documented_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KlIpcDocs) docs = kl_ipc_docs_load_dir (kl_test_source_path ("ipc"), &error);
  g_autoptr (KlNetMon1) netmon = netmon_proxy (f->bus->connection);
  g_autoptr (KlSipLine1) line1 = line_proxy (f, 1);
  GHashTableIter members;
  const char *member;
  GHashTable *documented;

  g_assert_no_error (error);
  /* every dictionary there can be, there: a resolved server with a target, a probe, a flow */
  wait_for_server (netmon, "127.0.255.2", "udp", "127.0.255.2 5999 udp resolved");
  g_assert_true (kl_test_wait_until (probe_failed, netmon, 5000));
  g_assert_true (kl_test_wait_until (has_flows, line1, 5000));

  g_hash_table_iter_init (&members, docs->keys);
  while (g_hash_table_iter_next (&members, (gpointer *) &member, (gpointer *) &documented)) {
    g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    const char *property = strrchr (member, '.') + 1;
    GDBusProxy *proxy = NULL;
    g_autoptr (GVariant) value = NULL;
    GHashTableIter keys;
    const char *key;

    if (g_str_has_prefix (member, "org.keepline.NetMon1."))
      proxy = G_DBUS_PROXY (netmon);
    else if (g_str_has_prefix (member, "org.keepline.Sip.Line1."))
      proxy = G_DBUS_PROXY (line1);
    else
      g_error ("%s has dictionaries, but this test looks at no object with it", member);
    value = g_dbus_proxy_get_cached_property (proxy, property);
    g_assert_nonnull (value);
    check_keys (documented, member, value, seen);
    g_hash_table_iter_init (&keys, documented);
    while (g_hash_table_iter_next (&keys, (gpointer *) &key, NULL)) {
      if (!g_hash_table_contains (seen, key))
        g_error ("%s documents the key \"%s\", which the daemon does not publish", member, key);
    }
    g_test_message ("%s: %u keys, each documented", member, g_hash_table_size (seen));
  }
}

/* uid */

static gboolean
screen_has_rows (gpointer data)
{
  KlUi1 *ui = data;
  const char *const *screen = kl_ui1_get_screen (ui);
  guint expect = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (ui), "rows"));

  return screen != NULL && g_strv_length ((char **) screen) == expect;
}

static gboolean
wait_for_rows (KlUi1 *ui, guint rows)
{
  g_object_set_data (G_OBJECT (ui), "rows", GUINT_TO_POINTER (rows));
  return kl_test_wait_until (screen_has_rows, ui, 5000);
}

static void
test_uid_screen_shows_each_line_in_use (Fixture *f, gconstpointer data)
{
  g_autoptr (KlUi1) ui = ui_proxy (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (KlNetMon1) netmon = kl_net_mon1_proxy_new_sync (f->bus->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                           NETMON_NAME, "/org/keepline/NetMon", NULL,
                                                           &error);
  const char *const *screen;
  g_autoptr (GVariant) lines = NULL;
  guint index;
  const char *label, *status, *where;

  g_assert_no_error (error);
  g_assert_true (wait_for_rows (ui, 3));
  screen = kl_ui1_get_screen (ui);
  g_assert_cmpstr (screen[1], ==, "L1 Alice            Registering");
  g_assert_cmpstr (screen[2], ==, "L2 1002             Registering");
  g_assert_true (kl_ui1_get_sip_service (ui));
  g_assert_cmpstr (kl_ui1_get_network (ui), ==, kl_net_mon1_get_online (netmon));

  lines = kl_ui1_dup_lines (ui);
  g_assert_cmpuint (g_variant_n_children (lines), ==, 2);
  g_variant_get_child (lines, 0, "(u&s&s&s)", &index, &label, &status, &where);
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpstr (label, ==, "Alice");
  g_assert_cmpstr (status, ==, "Registering");
  g_assert_cmpstr (where, ==, "");
}

static void
test_uid_restarted_shows_the_state_at_once (Fixture *f, gconstpointer data)
{
  g_autoptr (KlUi1) ui = NULL;

  stop_daemon (f, &f->uid, UI_NAME);
  f->uid = start_daemon (f, "uid", UI_NAME);
  ui = ui_proxy (f);
  g_assert_true (wait_for_rows (ui, 3));
  g_assert_cmpstr (kl_ui1_get_screen (ui)[1], ==, "L1 Alice            Registering");
}

static gboolean
sip_service_is (gpointer data)
{
  KlUi1 *ui = data;
  return kl_ui1_get_sip_service (ui) == GPOINTER_TO_INT (g_object_get_data (G_OBJECT (ui), "sip"));
}

static void
test_uid_follows_sipd_leaving_and_coming_back (Fixture *f, gconstpointer data)
{
  g_autoptr (KlUi1) ui = ui_proxy (f);

  g_assert_true (wait_for_rows (ui, 3));
  stop_daemon (f, &f->sipd, SIP_NAME);
  g_object_set_data (G_OBJECT (ui), "sip", GINT_TO_POINTER (FALSE));
  g_assert_true (kl_test_wait_until (sip_service_is, ui, 5000));
  g_assert_true (wait_for_rows (ui, 1));
  if (g_strcmp0 (kl_ui1_get_network (ui), "none") != 0)
    g_assert_cmpstr (kl_ui1_get_screen (ui)[0], ==, "No SIP Service");

  f->sipd = start_daemon (f, "sipd", SIP_NAME);
  g_assert_true (wait_for_rows (ui, 3));
  g_assert_true (kl_ui1_get_sip_service (ui));
}

/* Start-up */

static void
test_sipd_refuses_to_start_on_a_broken_configuration (void)
{
  g_autoptr (KlTestBus) bus = kl_test_bus_new ();
  g_autofree char *dir = kl_test_config_dir_new ();
  const char *argv[] = { kl_test_build_path ("sipd/sipd"), "--config-dir", dir, NULL };
  g_autoptr (GSubprocess) sipd = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;

  kl_test_config_write (dir, "local.cfg", "sip line1 user name: 1001\nsip proxy ip: pbx.example.com\n"
                                          "sip proxy port: 99999\n");
  sipd = kl_test_bus_spawn (bus, G_SUBPROCESS_FLAGS_STDERR_PIPE, argv);
  g_subprocess_communicate_utf8 (sipd, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kl_test_process_wait (sipd), ==, 1);
  g_assert_nonnull (strstr (err, "local.cfg:3: error: sip proxy port: 99999 is above the maximum 65535"));
  g_assert_nonnull (strstr (err, "refusing to start"));
  kl_test_config_dir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/dbus/sipd/exports-nine-lines-with-their-configuration",
       test_sipd_exports_nine_lines_with_their_configuration);
  ADD ("/dbus/sipd/never-puts-a-password-on-the-bus", test_sipd_never_puts_a_password_on_the_bus);
  ADD ("/dbus/sipd/reload-with-a-bad-value-keeps-the-last-good-configuration",
       test_sipd_reload_with_a_bad_value_keeps_the_last_good_configuration);
  ADD ("/dbus/sipd/reload-with-a-good-configuration-announces-the-changes",
       test_sipd_reload_with_a_good_configuration_announces_the_changes);
  ADD ("/dbus/sipd/sighup-rereads-and-survives-a-bad-configuration",
       test_sipd_sighup_rereads_and_survives_a_bad_configuration);
  ADD ("/dbus/sipd/register-on-a-disabled-line-is-refused",
       test_sipd_register_on_a_disabled_line_is_refused);
  ADD ("/dbus/sipd/dial-refuses-what-cannot-be-called", test_sipd_dial_refuses_what_cannot_be_called);
  ADD ("/dbus/netmond/shows-loopback-and-why-it-is-online", test_netmond_shows_loopback_and_why_it_is_online);
  ADD ("/dbus/netmond/watches-and-probes-the-servers-of-sipd", test_netmond_watches_and_probes_the_servers_of_sipd);
  ADD ("/dbus/netmond/refuses-bad-arguments-and-goes-on", test_netmond_refuses_bad_arguments_and_goes_on);
  g_test_add ("/dbus/netmond/caps-the-resolves-a-caller-waits-for", Fixture, with_silent_dns, fixture_setup,
              test_netmond_caps_the_resolves_a_caller_waits_for, fixture_teardown);
  ADD ("/dbus/netmond/forgets-the-servers-of-a-watcher-that-leaves",
       test_netmond_forgets_the_servers_of_a_watcher_that_leaves);
  ADD ("/dbus/policy/anyone-may-read-only-root-may-reload-or-register",
       test_policy_lets_anyone_read_but_only_root_reload);
  ADD ("/dbus/policy/the-group-keepline-may-change-everything", test_policy_lets_the_group_keepline_change_everything);
  ADD ("/dbus/contract/running-daemons-expose-only-documented-members",
       test_running_daemons_expose_only_documented_members);
  ADD ("/dbus/contract/running-daemons-publish-only-documented-keys",
       test_running_daemons_publish_only_documented_keys);
  ADD ("/dbus/uid/screen-shows-each-line-in-use", test_uid_screen_shows_each_line_in_use);
  ADD ("/dbus/uid/restarted-shows-the-state-at-once", test_uid_restarted_shows_the_state_at_once);
  ADD ("/dbus/uid/follows-sipd-leaving-and-coming-back", test_uid_follows_sipd_leaving_and_coming_back);
#undef ADD
  g_test_add_func ("/dbus/sipd/refuses-to-start-on-a-broken-configuration",
                   test_sipd_refuses_to_start_on_a_broken_configuration);

  return g_test_run ();
}
