/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* No secret leaves sipd. Line 1 registers with digest authentication at a
 * real Kamailio on 127.0.N.2, which challenges it, while sipd logs everything
 * it can (G_MESSAGES_DEBUG=all) to a file; then a Reload reads a
 * configuration in which the password line lost its colon, a typo that
 * holds a second secret. Neither password, nor the HA1 the digest is made
 * from, appears in sipd's log, in the Reload error, or in any property of
 * any object sipd has on the bus. Kamailio challenges every REGISTER that
 * carries no credentials (route[REGISTRAR]), so a registered line is one
 * that answered a challenge. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"

#define SERVER kl_test_e2e_address (2)
#define SIP_NAME "org.keepline.Sip"
#define PASSWORD "secret1001" /* Kamailio's, for user 1001 */
#define TYPO_SECRET "hunter2-typo"
#define WAIT_MS 10000

typedef struct {
  KlTestKamailio *kamailio;
  KlTestPhone *phone;
  char *log; /* sipd's stderr */
} Fixture;

static const char *certdir;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->kamailio = kl_test_kamailio_start (SERVER, certdir, 30);
  f->phone = kl_test_phone_new ();
  f->log = g_build_filename (f->phone->config_dir, "sipd.log", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  kl_test_phone_free (f->phone);
  g_free (f->log);
  kl_test_kamailio_free (f->kamailio);
}

static char *
config_text (const char *extra)
{
  return g_strdup_printf ("sip local port: 0\n"
                          "sip outbound support: 1\n"
                          "sip transport protocol: 2\n"
                          "sip proxy ip: %s\n"
                          "sip proxy port: 5060\n"
                          "sip line1 user name: 1001\n"
                          "sip line1 password: " PASSWORD "\n"
                          "%s",
                          SERVER, extra);
}

/* sipd, every debug message on, its stdout (where GLib writes debug and
 * info) and stderr in f->log: through sh, which execs it, so the process
 * stopped at the end is sipd itself. */
static void
start_sipd (Fixture *f)
{
  const char *argv[] = { "sh", "-c", "exec >\"$0\" 2>&1; G_MESSAGES_DEBUG=all exec \"$@\"", f->log,
                         kl_test_build_path ("sipd/sipd"), "--debug", "--config-dir", f->phone->config_dir, "--mac",
                         "00085D0A0B0C", NULL };

  kl_test_phone_take_sipd (f->phone, kl_test_bus_spawn (f->phone->bus, G_SUBPROCESS_FLAGS_NONE, argv));
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
}

/* Every property of every object sipd has, as text. */
static char *
everything_on_the_bus (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) objects = g_dbus_connection_call_sync (
      f->phone->bus->connection, SIP_NAME, "/org/keepline/Sip", "org.freedesktop.DBus.ObjectManager",
      "GetManagedObjects", NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

  g_assert_no_error (error);
  return g_variant_print (objects, FALSE);
}

static void
assert_no_secret_in (const char *where, const char *text, const char *const *secrets)
{
  for (guint i = 0; secrets[i]; i++)
    if (strstr (text, secrets[i]) != NULL)
      g_error ("%s holds the secret '%s'", where, secrets[i]);
}

static void
test_no_secret_in_the_log_errors_or_on_the_bus (Fixture *f, gconstpointer data)
{
  g_autofree char *text = config_text ("");
  g_autofree char *typo = config_text ("sip line1 password " TYPO_SECRET "\n");
  /* RFC 2617: HA1 = MD5(user:realm:password); Kamailio's realm is the From domain */
  g_autofree char *a1 = g_strdup_printf ("1001:%s:" PASSWORD, SERVER);
  g_autofree char *ha1 = g_compute_checksum_for_string (G_CHECKSUM_MD5, a1, -1);
  const char *secrets[] = { PASSWORD, TYPO_SECRET, ha1, NULL };
  g_autoptr (KlSipManager1) manager = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *bus_text = NULL;
  g_autofree char *log = NULL;

  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
  start_sipd (f);

  kl_test_config_write (f->phone->config_dir, "local.cfg", typo);
  manager = kl_sip_manager1_proxy_new_sync (f->phone->bus->connection, G_DBUS_PROXY_FLAGS_NONE, SIP_NAME,
                                            "/org/keepline/Sip", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (kl_sip_manager1_call_reload_sync (manager, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("Reload: %s", error->message);
  assert_no_secret_in ("the Reload error", error->message, secrets);
  g_assert_nonnull (strstr (error->message, "local.cfg"));
  g_clear_error (&error);

  bus_text = everything_on_the_bus (f);
  assert_no_secret_in ("sipd's objects on the bus", bus_text, secrets);
  g_assert_true (kl_test_line_registered (f->phone->line)); /* the last good configuration stands */

  kl_test_phone_stop_sipd (f->phone);
  g_file_get_contents (f->log, &log, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("sipd logged %zu bytes:\n%s", strlen (log), log);
  assert_no_secret_in ("sipd's log", log, secrets);
  g_assert_nonnull (strstr (log, "registering -> registered"));
  g_assert_nonnull (strstr (log, "registered -> unregistering")); /* a debug message: those are read too */
}

int
main (int argc, char **argv)
{
  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  kl_test_e2e_add ("/e2e/secrets/no-secret-in-the-log-errors-or-on-the-bus", Fixture, NULL, fixture_setup,
                   test_no_secret_in_the_log_errors_or_on_the_bus, fixture_teardown);
  return kl_test_e2e_run ();
}
