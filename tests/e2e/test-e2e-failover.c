/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Failover and failback against two real Kamailio servers: the primary on
 * 127.0.0.2, the backup on 127.0.0.3, each its own registrar and presence
 * server. Each fault kind — a reset, a crash, a hung server — must move the
 * line and its subscriptions to the backup, and the primary's return must move
 * them back, leaving nothing at the backup. Kamailio's own tables are the judge. */
#include <string.h>

#include "kl-dbus.h"
#include "kl-test-bus.h"
#include "kl-test-kamailio.h"

#define PRIMARY "127.0.0.2"
#define BACKUP "127.0.0.3"
#define MAC "00085D0A0B0C"
#define WAIT_MS 30000

static char *certdir;

typedef struct {
  KlTestKamailio *primary;
  KlTestKamailio *backup;
  KlTestBus *bus;
  char *config_dir;
  GSubprocess *sipd;
  KlSipLine1 *line;
  guint failed_over;
  guint failed_back;
} Fixture;

static void
on_failed_over (KlSipLine1 *line, const char *reason, gpointer data)
{
  Fixture *f = data;
  g_test_message ("FailedOver: %s", reason);
  f->failed_over++;
}

static void
on_failed_back (KlSipLine1 *line, const char *reason, gpointer data)
{
  Fixture *f = data;
  g_test_message ("FailedBack: %s", reason);
  f->failed_back++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *argv[] = { NULL, "--config-dir", NULL, "--mac", MAC, NULL };
  g_autoptr (GError) error = NULL;

  f->primary = kl_test_kamailio_start (PRIMARY, certdir, 30);
  f->backup = kl_test_kamailio_start (BACKUP, certdir, 30);
  f->bus = kl_test_bus_new ();
  f->config_dir = kl_test_config_dir_new ();
  kl_test_config_write (f->config_dir, "local.cfg",
                        "sip local port: 0\n"
                        "sip outbound support: 1\n"
                        "sip transport protocol: 2\n"
                        "sip proxy ip: " PRIMARY "\n"
                        "sip proxy port: 5060\n"
                        "sip backup proxy ip: " BACKUP "\n"
                        "sip backup proxy port: 5060\n"
                        "sip backup registrar ip: " BACKUP "\n"
                        "sip backup registrar port: 5060\n"
                        "sip outbound keep alive timer: 1\n"
                        "sip transaction timer: 2000\n"
                        "sip timer scale percent: 10\n"
                        "sip line1 user name: 1001\n"
                        "sip line1 password: secret1001\n"
                        "sip line1 explicit mwi subscription: 1\n");
  argv[0] = kl_test_build_path ("sipd/sipd");
  argv[2] = f->config_dir;
  f->sipd = kl_test_bus_spawn (f->bus, G_SUBPROCESS_FLAGS_NONE, argv);
  g_assert_true (kl_test_bus_wait_for_name (f->bus, "org.keepline.Sip", TRUE));
  f->line = kl_sip_line1_proxy_new_sync (f->bus->connection, G_DBUS_PROXY_FLAGS_NONE, "org.keepline.Sip",
                                         "/org/keepline/Sip/Line/1", NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->line, "failed-over", G_CALLBACK (on_failed_over), f);
  g_signal_connect (f->line, "failed-back", G_CALLBACK (on_failed_back), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->line);
  kl_test_process_stop (f->sipd);
  if (g_subprocess_get_if_signaled (f->sipd))
    g_error ("sipd died of signal %d instead of stopping on SIGTERM", g_subprocess_get_term_sig (f->sipd));
  g_assert_cmpint (g_subprocess_get_exit_status (f->sipd), ==, 0);
  g_clear_object (&f->sipd);
  kl_test_config_dir_remove (f->config_dir);
  g_free (f->config_dir);
  kl_test_bus_free (f->bus);
  kl_test_kamailio_free (f->primary);
  kl_test_kamailio_free (f->backup);
}

/* Waiting on the line's properties */

typedef struct {
  KlSipLine1 *line;
  const char *registrar;
} RegistrarWait;

static gboolean
registered_at (gpointer data)
{
  RegistrarWait *wait = data;
  return g_strcmp0 (kl_sip_line1_get_state (wait->line), "registered") == 0 &&
         g_strcmp0 (kl_sip_line1_get_registrar (wait->line), wait->registrar) == 0;
}

static void
wait_registered_at (Fixture *f, const char *registrar)
{
  RegistrarWait wait = { f->line, registrar };

  if (!kl_test_wait_until (registered_at, &wait, WAIT_MS))
    g_error ("line 1 is %s at '%s', not registered at %s; last error: %s", kl_sip_line1_get_state (f->line),
             kl_sip_line1_get_registrar (f->line), registrar, kl_sip_line1_get_last_error (f->line));
}

static gboolean
subscription_active (gpointer data)
{
  GVariant *subscriptions = kl_sip_line1_get_subscriptions (data);
  const char *state = NULL;

  if (subscriptions == NULL || g_variant_n_children (subscriptions) == 0)
    return FALSE;
  g_variant_get_child (subscriptions, 0, "(&s&s&s&s)", NULL, NULL, &state, NULL);
  return g_strcmp0 (state, "active") == 0;
}

typedef struct {
  KlTestKamailio *kamailio;
  guint count;
} BindingWait;

static gboolean
bindings_are (gpointer data)
{
  BindingWait *wait = data;
  return kl_test_kamailio_count_bindings (wait->kamailio, "1001") == wait->count;
}

static void
wait_bindings (KlTestKamailio *kamailio, guint count)
{
  BindingWait wait = { kamailio, count };

  if (!kl_test_wait_until (bindings_are, &wait, WAIT_MS)) {
    g_autofree char *bindings = kl_test_kamailio_bindings (kamailio, "1001");
    g_error ("%s holds %u bindings of 1001, not %u:\n%s", kamailio->addr,
             kl_test_kamailio_count_bindings (kamailio, "1001"), count, bindings);
  }
}

static gboolean
watching (KlTestKamailio *kamailio)
{
  g_autofree char *watchers = kl_test_kamailio_subscriptions (kamailio);
  return strstr (watchers, "message-summary") != NULL;
}

typedef struct {
  KlTestKamailio *kamailio;
  gboolean expect;
} WatchWait;

static gboolean
watching_is (gpointer data)
{
  WatchWait *wait = data;
  return watching (wait->kamailio) == wait->expect;
}

static void
wait_watching (KlTestKamailio *kamailio, gboolean expect)
{
  WatchWait wait = { kamailio, expect };

  if (!kl_test_wait_until (watching_is, &wait, WAIT_MS)) {
    g_autofree char *watchers = kl_test_kamailio_subscriptions (kamailio);
    g_error ("%s %s a message-summary subscription:\n%s", kamailio->addr, expect ? "lacks" : "still has", watchers);
  }
}

/* On the primary: one binding there, none at the backup; the MWI subscription there. */
static void
assert_on_primary (Fixture *f)
{
  wait_registered_at (f, PRIMARY ":5060");
  g_assert_false (kl_sip_line1_get_on_backup (f->line));
  g_assert_cmpstr (kl_sip_line1_get_aor (f->line), ==, "sip:1001@" PRIMARY);
  wait_bindings (f->primary, 1);
  wait_bindings (f->backup, 0);
  g_assert_true (kl_test_wait_until (subscription_active, f->line, WAIT_MS));
  wait_watching (f->primary, TRUE);
  wait_watching (f->backup, FALSE);
}

/* On the backup: the backup AOR at the backup registrar, the subscription moved. */
static void
assert_on_backup (Fixture *f)
{
  wait_registered_at (f, BACKUP ":5060");
  g_assert_true (kl_sip_line1_get_on_backup (f->line));
  g_assert_cmpstr (kl_sip_line1_get_aor (f->line), ==, "sip:1001@" BACKUP);
  wait_bindings (f->backup, 1);
  g_assert_true (kl_test_wait_until (subscription_active, f->line, WAIT_MS));
  wait_watching (f->backup, TRUE);
  g_assert_cmpuint (kl_sip_line1_get_failovers (f->line), >=, 1);
}

static gboolean
failed_back (gpointer data)
{
  return ((Fixture *) data)->failed_back > 0;
}

/* Fault kinds */

static void
test_reset_by_the_primary_fails_over_and_back (Fixture *f, gconstpointer data)
{
  assert_on_primary (f);

  kl_test_kamailio_reset_connections (f->primary);
  /* the primary is alive: the probe finds it within a second and the line returns */
  g_assert_true (kl_test_wait_until (failed_back, f, WAIT_MS));
  g_assert_cmpuint (f->failed_over, ==, 1);
  g_assert_nonnull (strstr (kl_sip_line1_get_last_failover (f->line), "connection reset by the server"));
  assert_on_primary (f);
  g_assert_cmpuint (kl_sip_line1_get_failbacks (f->line), ==, 1);
}

static void
test_crashed_primary_fails_over_and_back_once_restarted (Fixture *f, gconstpointer data)
{
  assert_on_primary (f);

  kl_test_kamailio_kill (f->primary);
  assert_on_backup (f);
  g_assert_cmpuint (f->failed_back, ==, 0);

  kl_test_kamailio_restart (f->primary);
  assert_on_primary (f);
  g_assert_cmpuint (f->failed_back, ==, 1);
}

static void
test_hung_primary_fails_over_on_the_keepalive_and_back (Fixture *f, gconstpointer data)
{
  assert_on_primary (f);

  kl_test_kamailio_pause (f->primary, TRUE);
  assert_on_backup (f);
  g_assert_nonnull (strstr (kl_sip_line1_get_last_failover (f->line), "pong"));

  kl_test_kamailio_pause (f->primary, FALSE);
  assert_on_primary (f);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  certdir = kl_test_certificates_new ();
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/e2e/failover/outbound-tcp/backup-proxy-and-registrar/reset-by-the-primary-fails-over-and-back",
       test_reset_by_the_primary_fails_over_and_back);
  ADD ("/e2e/failover/outbound-tcp/backup-proxy-and-registrar/crashed-primary-fails-over-and-back-once-restarted",
       test_crashed_primary_fails_over_and_back_once_restarted);
  ADD ("/e2e/failover/outbound-tcp/backup-proxy-and-registrar/hung-primary-fails-over-on-the-keepalive-and-back",
       test_hung_primary_fails_over_on_the_keepalive_and_back);
#undef ADD
  status = g_test_run ();
  kl_test_config_dir_remove (certdir);
  g_free (certdir);
  return status;
}
