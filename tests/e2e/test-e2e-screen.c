/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phone's screen as a person sees it: uid --tty in an 80×24 tmux pane,
 * read with capture-pane and pressed with send-keys, against the real
 * daemons on a private bus and a real Kamailio on 127.0.N.2 with its backup
 * on 127.0.N.3. In one run: line 1 shows registered; a voicemail arrives
 * (Kamailio's PUBLISH, then its NOTIFY) and shows; a lamp turns busy; a call
 * rings, is answered with the soft key 1, and the caller gets its 200; the
 * primary is killed and the screen shows the line on its backup with a
 * notice; the primary comes back and the screen shows the failback, a notice
 * that clears itself; and when sipd restarts the screen follows it away and
 * back. netmond runs too: the first row says the network is ready. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"
#include "kl-test-process.h"

#define PRIMARY kl_test_e2e_address (2)
#define BACKUP kl_test_e2e_address (3)
#define WAIT_MS 15000
#define FAILOVER_WAIT_MS 30000

static const char *certdir;

typedef struct {
  KlTestKamailio *primary;
  KlTestKamailio *backup;
  KlTestPhone *phone;
  char *socket; /* tmux -L: the test's own tmux server */
  int tmux_pid;
} Fixture;

/* tmux */

static char *
tmux (Fixture *f, const char *const *args, int *ret_status)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) "tmux");
  g_ptr_array_add (argv, (char *) "-L");
  g_ptr_array_add (argv, f->socket);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return kl_test_run ((const char *const *) argv->pdata, ret_status);
}

static char *
screen (Fixture *f)
{
  const char *args[] = { "capture-pane", "-p", "-t", "phone", NULL };
  int status;
  char *text = tmux (f, args, &status);

  g_assert_cmpint (status, ==, 0);
  return text;
}

typedef struct {
  Fixture *f;
  const char *text;
  gboolean shown; /* to appear, or to go */
} ScreenWait;

static gboolean
screen_reached (gpointer data)
{
  ScreenWait *wait = data;
  g_autofree char *text = screen (wait->f);

  return (strstr (text, wait->text) != NULL) == wait->shown;
}

/* Until TEXT is on the screen (SHOWN) or gone from it. */
static void
wait_for (Fixture *f, const char *text, gboolean shown, guint timeout_ms)
{
  ScreenWait wait = { f, text, shown };
  g_autofree char *now = NULL;

  if (!kl_test_wait_until (screen_reached, &wait, timeout_ms)) {
    now = screen (f);
    g_error ("the screen %s \"%s\" after %u ms:\n%s", shown ? "does not show" : "still shows", text, timeout_ms,
             now);
  }
  now = screen (f);
  g_test_message ("the screen, %s \"%s\":\n%s", shown ? "showing" : "without", text, now);
}

static void
wait_for_screen (Fixture *f, const char *text, guint timeout_ms)
{
  wait_for (f, text, TRUE, timeout_ms);
}

static void
press (Fixture *f, const char *key)
{
  const char *args[] = { "send-keys", "-t", "phone", key, NULL };
  int status;

  g_free (tmux (f, args, &status));
  g_assert_cmpint (status, ==, 0);
}

/* uid --tty in an 80×24 pane of the test's own tmux server, on the test's bus */
static void
start_screen (Fixture *f)
{
  g_autofree char *command = g_strdup_printf ("env DBUS_SYSTEM_BUS_ADDRESS='%s' TERM=xterm '%s' --tty "
                                              "--config-dir '%s' --mac 00085D0A0B0C",
                                              f->phone->bus->address, kl_test_build_path ("uid/uid"),
                                              f->phone->config_dir);
  const char *new_session[] = { "new-session", "-d", "-s", "phone", "-x", "80", "-y", "24", command, NULL };
  const char *pid_of_server[] = { "display-message", "-p", "-t", "phone", "#{pid}", NULL };
  g_autofree char *pid = NULL;
  int status;

  g_free (tmux (f, new_session, &status));
  g_assert_cmpint (status, ==, 0);
  pid = tmux (f, pid_of_server, &status);
  g_assert_cmpint (status, ==, 0);
  f->tmux_pid = atoi (pid);
  g_assert_cmpint (f->tmux_pid, >, 1);
}

static void
stop_screen (Fixture *f)
{
  const char *kill_server[] = { "kill-server", NULL };

  if (f->tmux_pid <= 0)
    return;
  g_free (tmux (f, kill_server, NULL));
  kill (f->tmux_pid, SIGKILL); /* if kill-server could not reach it */
  f->tmux_pid = 0;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *text = g_strdup_printf ("sip local port: 0\n"
                                           "sip transport protocol: 2\n"
                                           "sip outbound support: 1\n"
                                           "sip timer scale percent: 10\n"
                                           "sip outbound keep alive timer: 5\n"
                                           "sip proxy ip: %s\nsip proxy port: 5060\n"
                                           "sip backup proxy ip: %s\nsip backup proxy port: 5060\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n"
                                           "sip line1 screen name: Desk\n"
                                           "sip line1 explicit mwi subscription: 1\n"
                                           "sip line1 blf extensions: 1003\n",
                                           PRIMARY, BACKUP);

  f->primary = kl_test_kamailio_start (PRIMARY, certdir, 30);
  f->backup = kl_test_kamailio_start (BACKUP, certdir, 30);
  f->phone = kl_test_phone_new ();
  f->socket = g_strdup_printf ("kl-test-screen-%u", kl_test_e2e_block ());
  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
  kl_test_phone_start_netmond (f->phone);
  kl_test_phone_start_sipd (f->phone);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  stop_screen (f);
  kl_test_phone_free (f->phone);
  g_free (f->socket);
  kl_test_kamailio_free (f->backup);
  kl_test_kamailio_free (f->primary);
}

/* A call from the far end, whose final answer the injector waits for. */
static int
ring_the_phone (Fixture *f, const char *log)
{
  g_autofree char *server = g_strdup_printf ("%s:5060", PRIMARY);
  const char *argv[] = { "env", "INJECT_TIMEOUT=20", "python3", kl_test_source_path ("tests/e2e/sip-inject.py"),
                         server, "invite", "1001", PRIMARY, NULL };

  return kl_test_session_spawn (argv, log);
}

static void
test_a_person_sees_the_phone_and_answers_with_a_key (Fixture *f, gconstpointer data)
{
  const char *voicemail[] = { "mwi", "1001", PRIMARY, "2", "0", NULL };
  const char *busy[] = { "blf", "1003", PRIMARY, "confirmed", NULL };
  g_autofree char *log = g_build_filename (f->phone->config_dir, "caller.log", NULL);
  g_autofree char *caller = NULL;
  int caller_pid;

  start_screen (f);
  wait_for_screen (f, "L1 Desk             Registered", WAIT_MS);
  wait_for_screen (f, "Ready", WAIT_MS);

  g_assert_cmpint (kl_test_kamailio_inject (f->primary, voicemail, NULL), ==, 0);
  wait_for_screen (f, "Voicemail: 2 new", WAIT_MS);
  g_assert_cmpint (kl_test_kamailio_inject (f->primary, busy, NULL), ==, 0);
  wait_for_screen (f, "1003 busy", WAIT_MS);

  caller_pid = ring_the_phone (f, log);
  wait_for_screen (f, "[1] Answer  [2] Reject", WAIT_MS);
  wait_for_screen (f, "Incoming call on L1", 0);
  press (f, "1");
  g_assert_cmpint (kl_test_session_wait (caller_pid, WAIT_MS), ==, 0);
  g_file_get_contents (log, &caller, NULL, NULL);
  g_test_message ("the caller:\n%s", caller);
  g_assert_nonnull (strstr (caller, "SIP/2.0 200 OK"));

  /* the primary dies: the line moves, and the screen says so */
  kl_test_kamailio_kill (f->primary);
  wait_for_screen (f, "Registered (Backup)", FAILOVER_WAIT_MS);
  wait_for_screen (f, "Line 1 moved to its backup", 0);
  kl_test_kamailio_restart (f->primary);
  wait_for_screen (f, "Line 1 is back on its primary servers", FAILOVER_WAIT_MS);
  wait_for (f, "Line 1 is back", FALSE, (10 + 5) * 1000); /* the notice clears itself */

  /* sipd restarts; the screen follows it away and back */
  kl_test_phone_stop_sipd (f->phone);
  wait_for_screen (f, "No SIP Service", WAIT_MS);
  kl_test_phone_start_sipd (f->phone);
  wait_for_screen (f, "L1 Desk             Registered", WAIT_MS);
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  kl_test_e2e_add ("/e2e/screen/a-person-sees-the-phone-and-answers-with-a-key", Fixture, NULL, fixture_setup,
                   test_a_person_sees_the_phone_and_answers_with_a_key, fixture_teardown);
  return kl_test_e2e_run ();
}
