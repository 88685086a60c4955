/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeplinectl against the real sipd and netmond on a private bus that
 * enforces keepline's policy: what it prints, its JSON, its exit codes. */
#include <signal.h>
#include <string.h>

#include "kl-test-keeplinectl.h"

#define SIP_NAME "org.keepline.Sip"
#define NETMON_NAME "org.keepline.NetMon"

/* Nothing listens at 127.0.15.2:5999 or 127.0.15.3:5999: the lines keep trying. */
static const char config[] = "sip local port: 0\n"
                             "sip proxy ip: 127.0.15.2\n"
                             "sip proxy port: 5999\n"
                             "sip backup proxy ip: 127.0.15.3\n"
                             "sip backup proxy port: 5999\n"
                             "sip line1 user name: 1001\n"
                             "sip line1 screen name: Alice\n"
                             "sip line1 password: topsecret\n"
                             "sip line2 user name: 1002\n"
                             "sip line2 transport protocol: 2\n";

typedef struct {
  KlTestBus *bus;
  char *config_dir;
  GSubprocess *sipd;
  GSubprocess *netmond;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->bus = kl_test_bus_new ();
  f->config_dir = kl_test_config_dir_new ();
  kl_test_config_write (f->config_dir, "aastra.cfg", config);
  f->sipd = kl_test_bus_spawn_daemon (f->bus, "sipd", f->config_dir);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, SIP_NAME, TRUE));
  f->netmond = kl_test_bus_spawn_daemon (f->bus, "netmond", f->config_dir);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, NETMON_NAME, TRUE));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_daemon_stop (&f->netmond);
  kl_test_daemon_stop (&f->sipd);
  kl_test_config_dir_remove (f->config_dir);
  g_free (f->config_dir);
  kl_test_bus_free (f->bus);
}

static void G_GNUC_NULL_TERMINATED
run_nobody (Fixture *f, KlTestRun *ret_run, const char *first, ...)
{
  const char *const setpriv[]
      = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", NULL };
  va_list args;

  va_start (args, first);
  kl_test_keeplinectl_va (f->bus, ret_run, setpriv, first, args);
  va_end (args);
}

static void
assert_contains (const char *text, const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("'%s' not in:\n%s", part, text);
}

/* An error is one line on stderr, starting with the program's name. */
static void
assert_one_line_error (const KlTestRun *r, int status, const char *part)
{
  g_assert_cmpint (r->status, ==, status);
  g_assert_true (g_str_has_prefix (r->err, "keeplinectl: "));
  assert_contains (r->err, part);
  g_assert_cmpstr (strchr (r->err, '\n') + 1, ==, "");
}

static void
test_status_shows_lines_servers_network_and_calls (Fixture *f, gconstpointer data)
{
  g_auto (KlTestRun) r = { 0 };

  kl_test_keeplinectl (f->bus, &r, "status", NULL);
  g_assert_cmpint (r.status, ==, 0);
  assert_contains (r.out, "sipd ");
  assert_contains (r.out, "line 1  Alice  registering");
  assert_contains (r.out, "proxy 127.0.15.2:5999");
  assert_contains (r.out, "line 2  ");
  assert_contains (r.out, "lines 3 4 5 6 7 8 9: disabled");
  assert_contains (r.out, "network   ");
  assert_contains (r.out, "DNS       ");
  assert_contains (r.out, "calls     0");
  g_assert_null (strstr (r.out, "topsecret"));
}

static void
test_line_flows_servers_and_calls_read_the_daemons (Fixture *f, gconstpointer data)
{
  g_auto (KlTestRun) line = { 0 };
  g_auto (KlTestRun) disabled = { 0 };
  g_auto (KlTestRun) flows = { 0 };
  g_auto (KlTestRun) servers = { 0 };
  g_auto (KlTestRun) calls = { 0 };

  kl_test_keeplinectl (f->bus, &line, "line", "1", NULL);
  g_assert_cmpint (line.status, ==, 0);
  assert_contains (line.out, "address        sip:1001@127.0.15.2");
  assert_contains (line.out, "transport      udp");
  g_assert_null (strstr (line.out, "topsecret"));
  kl_test_keeplinectl (f->bus, &disabled, "line", "3", NULL);
  g_assert_cmpint (disabled.status, ==, 0);
  assert_contains (disabled.out, "state          disabled");
  kl_test_keeplinectl (f->bus, &flows, "flows", NULL);
  g_assert_cmpint (flows.status, ==, 0);
  assert_contains (flows.out, "line 1  reg-id 0 udp ");
  kl_test_keeplinectl (f->bus, &servers, "servers", NULL);
  g_assert_cmpint (servers.status, ==, 0);
  assert_contains (servers.out, "servers netmond watches:");
  assert_contains (servers.out, "127.0.15.2:5999/udp");
  kl_test_keeplinectl (f->bus, &calls, "calls", NULL);
  g_assert_cmpint (calls.status, ==, 0);
  g_assert_cmpstr (calls.out, ==, "no calls\n");
}

static void
test_every_reading_command_prints_valid_json (Fixture *f, gconstpointer data)
{
  static const char *const cases[][4] = {
    { "status", NULL,
      "d['sipd']['Lines'][0] == '/org/keepline/Sip/Line/1' and "
      "d['lines'][0]['ScreenName'] == 'Alice' and len(d['lines']) == 9 and "
      "d['netmond']['Online'] in ('none', 'limited', 'full') and d['calls'] == []" },
    { "line", "2", "d['Index'] == 2 and d['Transport'] == 'tcp' and isinstance(d['Flows'], list)" },
    { "flows", NULL,
      "all('line' in x and 'rtt-ms' in x for x in d) and any(x['line'] == 1 for x in d)" },
    { "servers", NULL,
      "len(d['lines']) == 9 and any(s['host'] == '127.0.15.2' for s in d['watched'])" },
    { "calls", NULL, "d == []" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (KlTestRun) r = { 0 };
    kl_test_keeplinectl (f->bus, &r, "--json", cases[i][0], cases[i][1], NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_null (strstr (r.out, "topsecret"));
    kl_test_assert_json (r.out, cases[i][2]);
  }
}

static void
test_resolve_asks_netmond (Fixture *f, gconstpointer data)
{
  g_auto (KlTestRun) text = { 0 };
  g_auto (KlTestRun) json = { 0 };

  kl_test_keeplinectl (f->bus, &text, "resolve", "127.0.15.7", "tcp", "--port", "5070", NULL);
  g_assert_cmpint (text.status, ==, 0);
  assert_contains (text.out, "127.0.15.7 (tcp): ");
  assert_contains (text.out, "  127.0.15.7:5070\n");
  kl_test_keeplinectl (f->bus, &json, "resolve", "127.0.15.7", "--json", NULL);
  g_assert_cmpint (json.status, ==, 0);
  kl_test_assert_json (
      json.out,
      "d['targets'] == [{'address': '127.0.15.7', 'port': 5060}] and d['transport'] == 'udp'");
}

static void
test_usage_errors_exit_2 (Fixture *f, gconstpointer data)
{
  static const char *const cases[][4] = {
    { NULL, NULL, NULL, "no command given" },
    { "frobnicate", NULL, NULL, "unknown command 'frobnicate'" },
    { "--colour", NULL, NULL, "unknown option '--colour'" },
    { "line", "12", NULL, "'12' is not a line" },
    { "line", NULL, NULL, "give one line number" },
    { "status", "now", NULL, "unexpected argument 'now'" },
    { "resolve", "pbx.example.com", "sctp", "udp, tcp or tls" },
    { "dial", "1", NULL, "give a line and whom to call" },
    { "hangup", "call-x", NULL, "'call-x' is not a call" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (KlTestRun) r = { 0 };
    kl_test_keeplinectl (f->bus, &r, cases[i][0], cases[i][1], cases[i][2], NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_true (g_str_has_prefix (r.err, "keeplinectl: "));
    assert_contains (r.err, cases[i][3]);
    assert_contains (r.err, "Try 'keeplinectl --help'.");
  }
}

static void
test_refusals_reach_the_user_as_one_line (Fixture *f, gconstpointer data)
{
  g_auto (KlTestRun) disabled = { 0 };
  g_auto (KlTestRun) dial = { 0 };
  g_auto (KlTestRun) no_call = { 0 };
  g_auto (KlTestRun) nothing_rings = { 0 };
  g_auto (KlTestRun) denied = { 0 };
  g_auto (KlTestRun) read_as_nobody = { 0 };
  g_auto (KlTestRun) registered = { 0 };

  kl_test_keeplinectl (f->bus, &disabled, "register", "3", NULL);
  assert_one_line_error (&disabled, 1, "register line 3: line 3 has no user name configured");
  kl_test_keeplinectl (f->bus, &dial, "dial", "1", "1002", NULL);
  assert_one_line_error (&dial, 1, "line 1 was never registered");
  kl_test_keeplinectl (f->bus, &no_call, "hangup", "99", NULL);
  assert_one_line_error (&no_call, 5, "no call 99");
  kl_test_keeplinectl (f->bus, &nothing_rings, "answer", NULL);
  assert_one_line_error (&nothing_rings, 5, "no call rings");
  run_nobody (f, &denied, "register", "1", NULL);
  assert_one_line_error (&denied, 4, "permission denied");
  run_nobody (f, &read_as_nobody, "status", NULL);
  g_assert_cmpint (read_as_nobody.status, ==, 0);
  kl_test_keeplinectl (f->bus, &registered, "register", "1", NULL);
  g_assert_cmpint (registered.status, ==, 0);
  g_assert_cmpstr (registered.err, ==, "");
}

static void
test_reload_prints_every_error_of_a_bad_configuration (Fixture *f, gconstpointer data)
{
  g_auto (KlTestRun) bad = { 0 };
  g_auto (KlTestRun) good = { 0 };

  kl_test_config_write (f->config_dir, "local.cfg", "sip T1 timer: soon\nsip T2 timer: later\n");
  kl_test_keeplinectl (f->bus, &bad, "reload", NULL);
  g_assert_cmpint (bad.status, ==, 1);
  assert_contains (bad.err, "keeplinectl: reload refused: ");
  assert_contains (bad.err, "local.cfg:1: error: sip T1 timer:");
  assert_contains (bad.err, "local.cfg:2: error: sip T2 timer:");
  kl_test_config_write (f->config_dir, "local.cfg", "sip line1 screen name: Bob\n");
  kl_test_keeplinectl (f->bus, &good, "reload", NULL);
  g_assert_cmpint (good.status, ==, 0);
}

static void
test_a_daemon_that_is_not_running_exits_3 (Fixture *f, gconstpointer data)
{
  g_auto (KlTestRun) status = { 0 };
  g_auto (KlTestRun) resolve = { 0 };
  g_auto (KlTestRun) without_netmond = { 0 };

  kl_test_daemon_stop (&f->netmond);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, NETMON_NAME, FALSE));
  kl_test_keeplinectl (f->bus, &resolve, "resolve", "127.0.15.2", NULL);
  assert_one_line_error (&resolve, 3, "netmond is not running");
  kl_test_keeplinectl (f->bus, &without_netmond, "status", NULL);
  g_assert_cmpint (without_netmond.status, ==, 0);
  assert_contains (without_netmond.out, "netmond is not running");

  kl_test_daemon_stop (&f->sipd);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, SIP_NAME, FALSE));
  kl_test_keeplinectl (f->bus, &status, "status", NULL);
  assert_one_line_error (&status, 3, "sipd is not running");
}

static char *
read_line (GDataInputStream *in)
{
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

/* Reads lines until one contains PART; the test's own timeout bounds it. */
static void
read_until (GDataInputStream *in, const char *part)
{
  for (;;) {
    g_autofree char *line = read_line (in);
    if (strstr (line, part) != NULL)
      return;
  }
}

/* Exit status 0, and whatever else it said on stderr when not. */
static void
assert_stopped_cleanly (GSubprocess *monitor, GDataInputStream *err)
{
  g_autoptr (GString) rest = g_string_new (NULL);
  char *line;

  if (kl_test_process_wait (monitor) == 0)
    return;
  while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, NULL)) != NULL) {
    g_string_append_printf (rest, "%s\n", line);
    g_free (line);
  }
  g_error ("monitor exited with %d:\n%s", kl_test_process_wait (monitor), rest->str);
}

static void
test_monitor_prints_each_change_time_stamped_until_interrupted (Fixture *f, gconstpointer data)
{
  const char *argv[] = { kl_test_build_path ("keeplinectl/keeplinectl"), "monitor", NULL };
  const char *json_argv[] = { argv[0], "monitor", "--json", NULL };
  g_autoptr (GSubprocess) monitor = kl_test_bus_spawn (
      f->bus, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, argv);
  g_autoptr (GSubprocess) json = kl_test_bus_spawn (
      f->bus, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, json_argv);
  g_autoptr (GDataInputStream) out
      = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));
  g_autoptr (GDataInputStream) err
      = g_data_input_stream_new (g_subprocess_get_stderr_pipe (monitor));
  g_autoptr (GDataInputStream) json_out
      = g_data_input_stream_new (g_subprocess_get_stdout_pipe (json));
  g_autoptr (GDataInputStream) json_err
      = g_data_input_stream_new (g_subprocess_get_stderr_pipe (json));
  g_autofree char *header = read_line (err);
  g_autofree char *json_header = read_line (json_err);
  g_autofree char *event = NULL;
  g_auto (KlTestRun) reload = { 0 };
  gboolean line_seen = FALSE, manager_seen = FALSE;
  g_autoptr (GRegex) stamped
      = g_regex_new ("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} org\\.keepline\\.Sip "
                     "/org/keepline/Sip/Line/1 org\\.keepline\\.Sip\\.Line1\\.PropertiesChanged",
                     0, 0, NULL);

  assert_contains (header, "Ctrl-C stops");
  assert_contains (json_header, "Ctrl-C stops");
  kl_test_config_write (f->config_dir, "local.cfg", "sip line1 screen name: Bob\n");
  kl_test_keeplinectl (f->bus, &reload, "reload", NULL);
  g_assert_cmpint (reload.status, ==, 0);
  while (!line_seen || !manager_seen) {
    g_autofree char *line = read_line (out);
    if (strstr (line, "ScreenName='Bob'") != NULL) {
      g_assert_true (g_regex_match (stamped, line, 0, NULL));
      line_seen = TRUE;
    }
    manager_seen
        |= strstr (line, "Manager1.PropertiesChanged ConfigFiles=['aastra.cfg', 'local.cfg']")
           != NULL;
  }
  for (;;) {
    g_free (event);
    event = read_line (json_out);
    if (strstr (event, "\"ScreenName\":\"Bob\"") != NULL)
      break;
  }
  kl_test_assert_json (
      event, "d['sender'] == 'org.keepline.Sip' and d['member'] == 'PropertiesChanged' and "
             "d['arguments'][1]['ScreenName'] == 'Bob' and d['time'][:2] == '20'");

  /* a daemon going away is an event too */
  kl_test_daemon_stop (&f->netmond);
  read_until (out, "org.keepline.NetMon /org/freedesktop/DBus org.freedesktop.DBus.stopped");
  /* and coming back; what the new one says is told as its */
  f->netmond = kl_test_bus_spawn_daemon (f->bus, "netmond", f->config_dir);
  read_until (out, "org.keepline.NetMon /org/freedesktop/DBus org.freedesktop.DBus.started");
  read_until (out,
              "org.keepline.NetMon /org/keepline/NetMon org.keepline.NetMon1.PropertiesChanged ");

  g_subprocess_send_signal (monitor, SIGINT);
  g_subprocess_send_signal (json, SIGINT);
  assert_stopped_cleanly (monitor, err);
  assert_stopped_cleanly (json, json_err);
}

static void
test_without_a_bus_every_command_exits_3 (void)
{
  const char *argv[] = { kl_test_build_path ("keeplinectl/keeplinectl"), "status", NULL };
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                "unix:path=/nonexistent/kl-bus", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kl_test_process_wait (process), ==, 3);
  assert_contains (err, "keeplinectl: cannot reach the system bus");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/keeplinectl/status-shows-lines-servers-network-and-calls",
       test_status_shows_lines_servers_network_and_calls);
  ADD ("/keeplinectl/line-flows-servers-and-calls-read-the-daemons",
       test_line_flows_servers_and_calls_read_the_daemons);
  ADD ("/keeplinectl/every-reading-command-prints-valid-json",
       test_every_reading_command_prints_valid_json);
  ADD ("/keeplinectl/resolve-asks-netmond", test_resolve_asks_netmond);
  ADD ("/keeplinectl/usage-errors-exit-2", test_usage_errors_exit_2);
  ADD ("/keeplinectl/refusals-reach-the-user-as-one-line",
       test_refusals_reach_the_user_as_one_line);
  ADD ("/keeplinectl/reload-prints-every-error-of-a-bad-configuration",
       test_reload_prints_every_error_of_a_bad_configuration);
  ADD ("/keeplinectl/a-daemon-that-is-not-running-exits-3",
       test_a_daemon_that_is_not_running_exits_3);
  ADD ("/keeplinectl/monitor-prints-each-change-time-stamped-until-interrupted",
       test_monitor_prints_each_change_time_stamped_until_interrupted);
#undef ADD
  g_test_add_func ("/keeplinectl/without-a-bus-every-command-exits-3",
                   test_without_a_bus_every_command_exits_3);

  return g_test_run ();
}
