/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-kamailio.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#include "kl-test-bus.h"
#include "kl-test-e2e.h"
#include "kl-test-process.h"

static void
run_and_forget (const char *const *argv)
{
  g_free (kl_test_run (argv, NULL));
}

/* For sip.keepline.test and 127.0.N.1 to 127.0.N.9 of the test's block (certtool
 * takes no more than 128 addresses). */
char *
kl_test_certificates_new (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("kl-test-certs-XXXXXX", &error);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status;

  g_assert_no_error (error);
  g_ptr_array_add (argv, (char *) kl_test_source_path ("tests/e2e/gen-certs.sh"));
  g_ptr_array_add (argv, dir);
  for (guint host = 1; host <= 9; host++)
    g_ptr_array_add (argv, (char *) kl_test_e2e_address (host));
  g_ptr_array_add (argv, NULL);
  g_free (kl_test_run ((const char *const *) argv->pdata, &status));
  g_assert_cmpint (status, ==, 0);
  return dir;
}

static char *kamcmd (KlTestKamailio *self, const char *const *args);

static void
launch (KlTestKamailio *self)
{
  g_autofree char *flow_timer_text = g_strdup_printf ("%u", self->flow_timer);
  g_autofree char *out = NULL;
  int status;
  const char *script[] = { kl_test_source_path ("tests/e2e/kamailio/start-instance.sh"), self->addr, self->rundir,
                           self->certdir, "5060", "5060", "5061", flow_timer_text, self->domain,
                           self->defines ? self->defines : "", NULL };
  const char *in_netns[] = { "ip", "netns", "exec", self->netns, script[0], script[1], script[2], script[3],
                             script[4], script[5], script[6], script[7], script[8], script[9], NULL };

  out = kl_test_run (self->netns ? in_netns : script, &status);
  g_assert_cmpint (status, ==, 0);
  self->pid = atoi (out);
  g_assert_cmpint (self->pid, >, 1);
  kl_test_group_remember (self->pid); /* it runs in its own session, out of reach of the death signal */
}

KlTestKamailio *
kl_test_kamailio_start (const char *addr, const char *certdir, guint flow_timer)
{
  return kl_test_kamailio_start_full (NULL, addr, NULL, certdir, flow_timer);
}

/* Another kind of server than the default edge and registrar: DEFINES are
 * those of kamailio.cfg.in, space-separated ("PLAIN", "EDGE_AUTH", …). */
KlTestKamailio *
kl_test_kamailio_start_as (const char *addr, const char *certdir, guint flow_timer, const char *defines)
{
  g_autoptr (GError) error = NULL;
  KlTestKamailio *self = g_new0 (KlTestKamailio, 1);

  self->addr = g_strdup (addr);
  self->domain = g_strdup (addr);
  self->certdir = g_strdup (certdir);
  self->flow_timer = flow_timer;
  self->defines = g_strdup (defines);
  self->rundir = g_dir_make_tmp ("kl-test-kamailio-XXXXXX", &error);
  g_assert_no_error (error);
  kl_test_kamailio_black_hole (self, FALSE);
  launch (self);
  return self;
}

/* In a network namespace of the test's (NULL: the test's own), for the SIP
 * domain given (NULL: the address itself). */
KlTestKamailio *
kl_test_kamailio_start_full (const char *netns,
                             const char *addr,
                             const char *domain,
                             const char *certdir,
                             guint flow_timer)
{
  g_autoptr (GError) error = NULL;
  KlTestKamailio *self = g_new0 (KlTestKamailio, 1);

  self->netns = g_strdup (netns);
  self->addr = g_strdup (addr);
  self->domain = g_strdup (domain ? domain : addr);
  self->certdir = g_strdup (certdir);
  self->flow_timer = flow_timer;
  self->rundir = g_dir_make_tmp ("kl-test-kamailio-XXXXXX", &error);
  g_assert_no_error (error);
  kl_test_kamailio_black_hole (self, FALSE); /* left by a test that crashed */
  launch (self);
  return self;
}

/* A crash: SIGKILL to the whole process group; the kernel closes its sockets. */
void
kl_test_kamailio_kill (KlTestKamailio *self)
{
  g_assert_cmpint (self->pid, >, 1);
  kl_test_group_kill (self->pid);
  self->pid = 0;
}

/* The same server again, with empty tables, as after a reboot. */
void
kl_test_kamailio_restart (KlTestKamailio *self)
{
  g_assert_cmpint (self->pid, ==, 0);
  launch (self);
}

/* A hung server: SIGSTOP; its kernel still completes TCP handshakes. */
void
kl_test_kamailio_pause (KlTestKamailio *self, gboolean paused)
{
  g_assert_cmpint (self->pid, >, 1);
  kill (-self->pid, paused ? SIGSTOP : SIGCONT);
}

/* A black hole: nftables drops every packet to and from the server's address. */
void
kl_test_kamailio_black_hole (KlTestKamailio *self, gboolean on)
{
  g_autofree char *table = g_strdup_printf ("kl_test_black_hole_%s", self->addr);
  g_autofree char *rules = NULL;
  int status;

  g_strdelimit (table, ".:", '_');
  if (!on) {
    g_autofree char *command = g_strdup_printf ("nft list table inet %s >/dev/null 2>&1 && nft delete table inet %s",
                                                table, table);
    const char *argv[] = { "sh", "-c", command, NULL };
    g_free (kl_test_run (argv, NULL));
    return;
  }
  rules = g_strdup_printf ("table inet %s {\n"
                           "  chain out {\n"
                           "    type filter hook output priority 0; policy accept;\n"
                           "    ip daddr %s drop\n"
                           "    ip saddr %s drop\n"
                           "  }\n"
                           "}\n",
                           table, self->addr, self->addr);
  {
    g_autofree char *file = g_build_filename (self->rundir, "black-hole.nft", NULL);
    const char *argv[] = { "nft", "-f", file, NULL };
    g_autoptr (GError) error = NULL;

    g_file_set_contents (file, rules, -1, &error);
    g_assert_no_error (error);
    g_free (kl_test_run (argv, &status));
    g_assert_cmpint (status, ==, 0);
  }
}

/* Makes the server answer every REGISTER of a local user with this status; 0 = normally. */
void
kl_test_kamailio_set_register_reply (KlTestKamailio *self, guint status)
{
  g_autofree char *value = g_strdup_printf ("%u", status);
  const char *args[] = { "pv.shvSet", "register_reply", "int", value, NULL };

  g_free (kamcmd (self, args));
}

/* Sends every request to a user 9… to URI, a far end that does not register
 * (e.g. "sip:127.0.6.20:5070", a sipp UAS); NULL: answers them 404 again. */
void
kl_test_kamailio_set_uas (KlTestKamailio *self, const char *uri)
{
  const char *set[] = { "pv.shvSet", "uas", "str", uri, NULL };
  const char *unset[] = { "pv.shvSet", "uas", "int", "0", NULL };

  g_free (kamcmd (self, uri ? set : unset));
}

void
kl_test_kamailio_stop (KlTestKamailio *self)
{
  g_autofree char *pid = NULL;

  if (self->pid <= 0)
    return;
  kill (-self->pid, SIGCONT); /* a paused server cannot stop */
  pid = g_strdup_printf ("%d", self->pid);
  {
    const char *argv[] = { kl_test_source_path ("tests/e2e/kamailio/stop-instance.sh"), pid, NULL };
    run_and_forget (argv);
  }
  kl_test_group_forget (self->pid);
  self->pid = 0;
}

void
kl_test_kamailio_free (KlTestKamailio *self)
{
  kl_test_kamailio_black_hole (self, FALSE);
  kl_test_kamailio_stop (self);
  {
    const char *argv[] = { "rm", "-rf", self->rundir, NULL };
    run_and_forget (argv);
  }
  g_free (self->netns);
  g_free (self->domain);
  g_free (self->addr);
  g_free (self->rundir);
  g_free (self->certdir);
  g_free (self->defines);
  g_free (self);
}

static char *
kamcmd (KlTestKamailio *self, const char *const *args)
{
  g_autofree char *socket = g_strdup_printf ("unix:%s/kamailio_ctl", self->rundir);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) "kamcmd");
  g_ptr_array_add (argv, (char *) "-s");
  g_ptr_array_add (argv, socket);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return kl_test_run ((const char *const *) argv->pdata, NULL);
}

/* Kamailio's own view of a user's bindings (ul.lookup), or "" when it has none. */
char *
kl_test_kamailio_bindings (KlTestKamailio *self, const char *user)
{
  g_autofree char *aor = g_strdup_printf ("%s@%s", user, self->domain);
  const char *args[] = { "ul.lookup", "location", aor, NULL };
  g_autofree char *out = self->pid > 0 ? kamcmd (self, args) : g_strdup ("");

  if (strstr (out, "Contact:") == NULL)
    return g_strdup ("");
  return g_steal_pointer (&out);
}

guint
kl_test_kamailio_count_bindings (KlTestKamailio *self, const char *user)
{
  g_autofree char *bindings = kl_test_kamailio_bindings (self, user);
  guint count = 0;

  for (const char *p = bindings; (p = strstr (p, "Address:")) != NULL; p++)
    count++;
  return count;
}

char *
kl_test_kamailio_subscriptions (KlTestKamailio *self)
{
  const char *args[] = { "db_text.query",
                         "select presentity_uri,watcher_username,event,status,expires,contact,record_route,callid "
                         "from active_watchers",
                         NULL };

  return self->pid > 0 ? kamcmd (self, args) : g_strdup ("");
}

guint
kl_test_kamailio_count_mwi_subscriptions (KlTestKamailio *self, const char *through)
{
  g_autofree char *watchers = self ? kl_test_kamailio_subscriptions (self) : g_strdup ("");
  g_auto (GStrv) lines = g_strsplit (watchers, "\n", -1);
  guint count = 0;

  for (guint i = 0; lines[i]; i++) {
    if (strstr (lines[i], "message-summary") != NULL && (through == NULL || strstr (lines[i], through) != NULL))
      count++;
  }
  return count;
}

/* tests/e2e/sip-inject.py against this server; returns its exit status. */
int
kl_test_kamailio_inject (KlTestKamailio *self, const char *const *args, char **ret_output)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *server = g_strdup_printf ("%s:5060", self->addr);
  g_autofree char *out = NULL;
  int status;

  g_ptr_array_add (argv, (char *) "python3");
  g_ptr_array_add (argv, (char *) kl_test_source_path ("tests/e2e/sip-inject.py"));
  g_ptr_array_add (argv, server);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  out = kl_test_run ((const char *const *) argv->pdata, &status);
  if (ret_output != NULL)
    *ret_output = g_steal_pointer (&out);
  return status;
}

/* Resets every TCP connection of the server from its side, as a crash whose
 * kernel answers with RST would (ss -K). */
void
kl_test_kamailio_reset_connections (KlTestKamailio *self)
{
  const char *argv[] = { "ss", "-K", "-t", "src", self->addr, NULL };

  run_and_forget (argv);
}
