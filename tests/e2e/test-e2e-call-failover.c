/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* New calls while the primary fails, against real Kamailio servers: for each
 * row of DESIGN.md's failover table (all six have a backup) and the ways the
 * primary-side server fails just before Dial() (reset, hung, black hole), the
 * call is answered through the backup, and the callee, a sipp UAS, saw exactly
 * one INVITE with one Call-ID, which came through the backup's servers and not
 * the failed one (its Vias). With "sip outbound dual flow" a call whose
 * primary outbound proxy is hung is answered over reg-id 2 within about a
 * second. A call that is up while its flow fails still ends with a BYE that
 * reaches the callee. Every Dial->active time is printed.
 *
 * Not the whole matrix: without outbound there are no keep-alives, so a hung
 * or black-holed server is found by Timer B (64·T1, 32 s) only, and the three
 * rows without outbound take each of those two faults once between them, not
 * both (tests/unit/test-sipd-call-routing.c has every pairing on a fake
 * clock); so each of the two shards stays near two minutes. The rows with
 * outbound take all three faults.
 *
 * The primary registrar and proxy is 127.0.N.2, the backup 127.0.N.3, the
 * outbound proxies 127.0.N.6 and 127.0.N.7 as in test-e2e-failover, and the
 * callee, a user 9… of both registrars, 127.0.N.20:5070. The line does not
 * refresh its registration during a case: what finds the silent server is the
 * call itself. An INVITE sent again with the failed primary's domain in its
 * Request-URI (stale_request_uri()) fails the case with the evidence. */
#include <string.h>

#include "kl-test-e2e.h"
#include "kl-test-failover.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"
#include "kl-test-sipp.h"

#define PRIMARY kl_test_e2e_address (2)
#define BACKUP kl_test_e2e_address (3)
#define EDGE kl_test_e2e_address (6)
#define BACKUP_EDGE kl_test_e2e_address (7)
#define CALLEE kl_test_e2e_address (20)
#define CALLEE_PORT 5070
#define WAIT_MS 20000
#define CALL_WAIT_MS 45000      /* Timer B, the backup's registration, and room */
#define BYE_WAIT_MS 5000
#define DUAL_FLOW_BOUND_MS 1500 /* T1 (500 ms), then at once over reg-id 2 */
#define SDP                                                                                                       \
  "v=0\r\no=keepline 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"                              \
  "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

static const char *certdir;

typedef struct {
  const KlTestRow *row;
  KlTestFault fault;
  gboolean dual_flow;
} Case;

typedef struct {
  const Case *c;
  KlTestKamailio *primary;
  KlTestKamailio *backup;
  KlTestKamailio *edge;
  KlTestKamailio *backup_edge;
  KlTestSipp *callee;
  KlTestPhone *phone;
  KlSipCall1 *call;
} Fixture;

static const KlTestServers *
servers (void)
{
  static KlTestServers addresses;

  addresses = (KlTestServers) { PRIMARY, BACKUP, EDGE, BACKUP_EDGE };
  return &addresses;
}

/* No refresh of the registration within a case (600 s), so that only the
 * call finds a silent server; short keep-alives and recovery timers. */
static char *
line_config (const Case *c)
{
  GString *text = g_string_new ("sip local port: 0\n");

  kl_test_row_append_servers (text, c->row, servers (), FALSE);
  g_string_append_printf (text,
                          "sip registration period: 600\n"
                          "sip registration retry timer: 30\n"
                          "sip outbound keep alive timer: 10\n"
                          "sip transaction timer: 2000\n"
                          "sip timer scale percent: 5\n"
                          "sip line1 user name: 1001\n"
                          "sip line1 password: secret1001\n"
                          "sip outbound dual flow: %d\n",
                          c->dual_flow);
  return g_string_free (text, FALSE);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *callee_uri = g_strdup_printf ("sip:%s:%u", CALLEE, CALLEE_PORT);
  g_autofree char *config = NULL;

  f->c = data;
  f->primary = kl_test_kamailio_start (PRIMARY, certdir, 30);
  kl_test_kamailio_set_uas (f->primary, callee_uri);
  if (f->c->row->backup_proxy_and_registrar) {
    f->backup = kl_test_kamailio_start (BACKUP, certdir, 30);
    kl_test_kamailio_set_uas (f->backup, callee_uri);
  }
  if (f->c->row->outbound_proxies) {
    /* they relay by Route, or to the domain of the Request-URI */
    f->edge = kl_test_kamailio_start (EDGE, certdir, 30);
    f->backup_edge = kl_test_kamailio_start (BACKUP_EDGE, certdir, 30);
  }
  f->callee = kl_test_sipp_start ("uas-answer", CALLEE, CALLEE_PORT, "udp", NULL, NULL);
  f->phone = kl_test_phone_new ();
  config = line_config (f->c);
  kl_test_config_write (f->phone->config_dir, "local.cfg", config);
  kl_test_phone_start_sipd (f->phone);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->call);
  kl_test_phone_free (f->phone);
  kl_test_sipp_free (f->callee);
  /* a paused server is continued, a black hole removed, before they stop */
  g_clear_pointer (&f->primary, kl_test_kamailio_free);
  g_clear_pointer (&f->backup, kl_test_kamailio_free);
  g_clear_pointer (&f->edge, kl_test_kamailio_free);
  g_clear_pointer (&f->backup_edge, kl_test_kamailio_free);
}

/* Registered at the primary place */

typedef struct {
  Fixture *f;
  char *why;
} RegisteredWait;

static guint
count_flows (KlSipLine1 *line, const char *state)
{
  GVariant *flows = kl_sip_line1_get_flows (line);
  guint count = 0;

  for (gsize i = 0; flows != NULL && i < g_variant_n_children (flows); i++) {
    g_autoptr (GVariant) flow = g_variant_get_child_value (flows, i);
    const char *flow_state;

    kl_test_lookup (flow, "state", "&s", &flow_state);
    count += g_str_equal (flow_state, state);
  }
  return count;
}

/* Line 1 registered at the primary registrar, which holds its one binding
 * through the primary edge proxy (both edge proxies with the dual flow). */
static gboolean
registered_at_primary (gpointer data)
{
  RegisteredWait *wait = data;
  Fixture *f = wait->f;
  KlSipLine1 *line = f->phone->line;
  KlTestPlace place = kl_test_primary_place (f->c->row, servers ());
  g_autofree char *registrar = g_strdup_printf ("%s:5060", place.registrar);
  g_autofree char *bindings = kl_test_kamailio_bindings (f->primary, "1001");
  guint count = kl_test_kamailio_count_bindings (f->primary, "1001");
  guint flows = count_flows (line, "active");
  guint expected = f->c->dual_flow ? 2 : 1;

  g_free (wait->why);
  wait->why = g_strdup_printf ("line 1 is %s at %s (%s), %u active flows; %s holds %u bindings:\n%s",
                               kl_sip_line1_get_state (line), kl_sip_line1_get_registrar (line),
                               kl_sip_line1_get_on_backup (line) ? "on backup" : "not on backup", flows,
                               PRIMARY, count, bindings);
  return g_strcmp0 (kl_sip_line1_get_state (line), "registered") == 0 &&
         g_strcmp0 (kl_sip_line1_get_registrar (line), registrar) == 0 && !kl_sip_line1_get_on_backup (line) &&
         flows == expected && count == expected && (place.edge == NULL || strstr (bindings, place.edge) != NULL) &&
         (!f->c->dual_flow || strstr (bindings, BACKUP_EDGE) != NULL);
}

static void
assert_registered_at_primary (Fixture *f)
{
  RegisteredWait wait = { f, NULL };

  if (!kl_test_wait_until (registered_at_primary, &wait, WAIT_MS))
    g_error ("before the fault: %s", wait.why);
  g_free (wait.why);
}

/* Faults, on the server the line's flow goes to, as in test-e2e-failover */

static KlTestKamailio *
fault_target (Fixture *f)
{
  return f->edge != NULL ? f->edge : f->primary;
}

static void
set_fault (Fixture *f, KlTestKamailio *target, gboolean on)
{
  switch (f->c->fault) {
  case KL_TEST_FAULT_RESET:
    if (on) {
      kl_test_kamailio_reset_connections (target);
      kl_test_kamailio_kill (target);
    }
    break;
  case KL_TEST_FAULT_HUNG:
    kl_test_kamailio_pause (target, on);
    break;
  case KL_TEST_FAULT_BLACK_HOLE:
    kl_test_kamailio_black_hole (target, on);
    break;
  default:
    g_assert_not_reached ();
  }
}

/* The call */

static gboolean
call_settled (gpointer data)
{
  const char *state = kl_sip_call1_get_state (data);

  return g_strcmp0 (state, "active") == 0 || g_strcmp0 (state, "ended") == 0;
}

static gboolean
call_ended (gpointer data)
{
  return g_strcmp0 (kl_sip_call1_get_state (data), "ended") == 0;
}

/* Dial("900") on line 1; returns the ms until the call is active or ended. */
static gint64
dial_until_settled (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  gint64 start = g_get_monotonic_time ();

  kl_sip_line1_call_dial_sync (f->phone->line, "900", SDP, &path, NULL, &error);
  g_assert_no_error (error);
  f->call = kl_sip_call1_proxy_new_sync (f->phone->bus->connection, G_DBUS_PROXY_FLAGS_NONE, "org.keepline.Sip", path,
                                         NULL, &error);
  g_assert_no_error (error);
  if (!kl_test_wait_until (call_settled, f->call, CALL_WAIT_MS))
    g_error ("the call is still %s after %u ms", kl_sip_call1_get_state (f->call), CALL_WAIT_MS);
  return (g_get_monotonic_time () - start) / 1000;
}

static void
assert_answered (Fixture *f, gint64 ms)
{
  if (!g_str_equal (kl_sip_call1_get_state (f->call), "active"))
    g_error ("the call ended after %" G_GINT64_FORMAT " ms instead of being answered: %s", ms,
             kl_sip_call1_get_end_reason (f->call));
}

/* Hangup() from D-Bus; whether the callee got the BYE, answered it and ended
 * its scenario. */
static gboolean
hang_up (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  kl_sip_call1_call_hangup_sync (f->call, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kl_test_wait_until (call_ended, f->call, WAIT_MS));
  g_test_message ("the call ended: %s", kl_sip_call1_get_end_reason (f->call));
  return kl_test_sipp_wait (f->callee, BYE_WAIT_MS) == 0;
}

static void
assert_hung_up (Fixture *f)
{
  if (!hang_up (f))
    g_error ("the callee did not get the BYE (see %s)", f->callee->dir);
}

/* The values of every header NAME (or its compact form) of a message, one
 * string each. */
static GPtrArray *
header_values (const char *message, const char *name, const char *compact)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL && *g_strstrip (lines[i]) != '\0'; i++) {
    char *colon = strchr (lines[i], ':');
    g_auto (GStrv) parts = NULL;

    if (colon == NULL)
      continue;
    *colon = '\0';
    if (g_ascii_strcasecmp (g_strstrip (lines[i]), name) != 0 && g_ascii_strcasecmp (lines[i], compact) != 0)
      continue;
    parts = g_strsplit (colon + 1, ",", -1);
    for (guint j = 0; parts[j] != NULL; j++)
      g_ptr_array_add (values, g_strdup (g_strstrip (parts[j])));
  }
  return values;
}

/* The sent-by hosts of the Vias of a message: the servers it went through. */
static GPtrArray *
via_hosts (const char *message)
{
  g_autoptr (GPtrArray) vias = header_values (message, "Via", "v");
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < vias->len; i++) {
    const char *sent_by = strchr (vias->pdata[i], ' ');

    if (sent_by != NULL)
      g_ptr_array_add (hosts, g_strndup (sent_by + 1, strcspn (sent_by + 1, ":;")));
  }
  return hosts;
}

static gboolean
went_through (GPtrArray *hosts, const char *addr)
{
  for (guint i = 0; i < hosts->len; i++) {
    if (g_str_equal (hosts->pdata[i], addr))
      return TRUE;
  }
  return FALSE;
}

/* The callee received one INVITE, with one Call-ID, and it came through the
 * servers of PLACE (its edge proxy, if any, and its registrar), not AVOIDED. */
static void
assert_one_invite_through (Fixture *f, KlTestPlace place, const char *avoided)
{
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);
  guint invites = kl_test_sipp_count_invites (f->callee, call_ids);
  g_autofree char *invite = kl_test_sipp_first_received (f->callee, "INVITE");
  g_autoptr (GPtrArray) hosts = NULL;

  g_assert_nonnull (invite);
  if (invites != 1 || call_ids->len != 1)
    g_error ("the callee received %u INVITEs with %u Call-IDs, the first:\n%s", invites, call_ids->len, invite);
  hosts = via_hosts (invite);
  if (!went_through (hosts, place.registrar) || (place.edge != NULL && !went_through (hosts, place.edge)) ||
      (avoided != NULL && went_through (hosts, avoided)))
    g_error ("the INVITE did not come through %s%s%s only, not %s:\n%s", place.edge ? place.edge : "",
             place.edge ? " and " : "", place.registrar, avoided ? avoided : "-", invite);
}

/* The last errors in a Kamailio's log, as test messages: evidence for a case
 * that ends incomplete. */
static void
message_errors (KlTestKamailio *kamailio)
{
  g_autofree char *file = g_build_filename (kamailio->rundir, "kamailio.log", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GPtrArray) errors = g_ptr_array_new ();

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (strstr (lines[i], "ERROR") != NULL)
      g_ptr_array_add (errors, lines[i]);
  }
  for (guint i = errors->len > 4 ? errors->len - 4 : 0; i < errors->len; i++)
    g_test_message ("%s: %s", kamailio->addr, g_strstrip (errors->pdata[i]));
}

/* sipd makes the Request-URI of a bare number once, at Dial(), in the domain
 * of the line's AOR at the primary registrar (sipd-calls.c), and keeps it when
 * it sends the INVITE again after the line moved to the backup registrar,
 * though Line1.Dial says the domain is that of the AOR in use, the backup's
 * while on it. The backup proxy, not responsible for the primary's domain,
 * relays the INVITE to the primary: a failed primary never passes it on and
 * the call ends (477 from a black hole, 408 from a hung one), a live one
 * behind a failed edge proxy carries the call instead of the backup. Returns
 * why, or NULL when the call did not meet that bug. */
static char *
stale_request_uri (Fixture *f)
{
  g_autofree char *invite = kl_test_sipp_first_received (f->callee, "INVITE");
  g_autofree char *primary_domain = g_strdup_printf ("@%s ", PRIMARY);
  g_autofree char *request_line = invite ? g_strndup (invite, strcspn (invite, "\r\n")) : NULL;

  if (!f->c->row->backup_proxy_and_registrar || !kl_sip_line1_get_on_backup (f->phone->line))
    return NULL;
  if (g_str_equal (kl_sip_call1_get_state (f->call), "ended") && invite == NULL)
    return g_strdup_printf ("sipd bug: the INVITE went again through the backup proxy %s with the primary's "
                            "domain %s in its Request-URI, the backup relayed it to the failed primary, and the "
                            "call ended: %s",
                            BACKUP, PRIMARY, kl_sip_call1_get_end_reason (f->call));
  if (request_line != NULL && strstr (request_line, primary_domain) != NULL)
    return g_strdup_printf ("sipd bug: the INVITE went again through the backup's servers with the primary's "
                            "domain %s in its Request-URI, and reached the callee as \"%s\" through the primary "
                            "proxy, not the backup proxy %s",
                            PRIMARY, request_line, BACKUP);
  return NULL;
}

/* The primary-side server fails, the user dials at once: the call is answered
 * through the backup's servers, and the callee saw the INVITE once. */
static void
test_new_call_while_the_primary_fails (Fixture *f, gconstpointer data)
{
  const KlTestRow *row = f->c->row;
  KlTestKamailio *target = fault_target (f);
  KlTestPlace backup_place = kl_test_failover_place (row, servers ());
  g_autofree char *bug = NULL;
  gboolean answered;
  gint64 ms;

  assert_registered_at_primary (f);
  set_fault (f, target, TRUE);
  ms = dial_until_settled (f);
  g_test_message ("%s, %s %s: Dial->%s in %" G_GINT64_FORMAT " ms", row->name, target->addr,
                  kl_test_fault_name (f->c->fault), kl_sip_call1_get_state (f->call), ms);
  answered = g_str_equal (kl_sip_call1_get_state (f->call), "active");
  if (answered)
    assert_hung_up (f);
  bug = stale_request_uri (f);
  if (bug != NULL) {
    message_errors (f->backup);
    g_error ("%s", bug);
  }
  if (!answered)
    assert_answered (f, ms);
  g_assert_true (kl_sip_line1_get_on_backup (f->phone->line));
  assert_one_invite_through (f, backup_place, target->addr);
  set_fault (f, target, FALSE);
}

/* With the dual flow, the registrar holds reg-id 1 through the primary edge
 * proxy and reg-id 2 through the backup one: while the primary edge is hung,
 * a call goes over reg-id 2 after T1, without waiting for the line. */
static void
test_dual_flow_call_while_the_primary_edge_hangs (Fixture *f, gconstpointer data)
{
  KlTestPlace reg_id_2 = { TRUE, PRIMARY, BACKUP_EDGE, FALSE };
  gint64 ms;

  assert_registered_at_primary (f);
  kl_test_kamailio_pause (f->edge, TRUE);
  ms = dial_until_settled (f);
  assert_answered (f, ms);
  g_test_message ("dual flow, %s hung: Dial->active in %" G_GINT64_FORMAT " ms", EDGE, ms);
  g_assert_cmpint (ms, <=, DUAL_FLOW_BOUND_MS);
  assert_hung_up (f);
  assert_one_invite_through (f, reg_id_2, EDGE);
  kl_test_kamailio_pause (f->edge, FALSE);
}

typedef struct {
  KlSipLine1 *line;
  char *remote;
  char *local;
} FlowWait;

/* The local address of the line's active flow to REMOTE, or NULL. */
static char *
flow_local (KlSipLine1 *line, const char *remote)
{
  GVariant *flows = kl_sip_line1_get_flows (line);

  for (gsize i = 0; flows != NULL && i < g_variant_n_children (flows); i++) {
    g_autoptr (GVariant) flow = g_variant_get_child_value (flows, i);
    const char *flow_remote, *flow_state, *local;

    kl_test_lookup (flow, "remote", "&s", &flow_remote);
    kl_test_lookup (flow, "state", "&s", &flow_state);
    kl_test_lookup (flow, "local", "&s", &local);
    if (g_str_equal (flow_remote, remote) && g_str_equal (flow_state, "active"))
      return g_strdup (local);
  }
  return NULL;
}

/* The flow of before is no longer the line's active flow to the server. */
static gboolean
flow_replaced (gpointer data)
{
  FlowWait *wait = data;
  g_autofree char *local = flow_local (wait->line, wait->remote);

  return g_strcmp0 (local, wait->local) != 0;
}

/* A call up through the primary; its flow is reset while the server lives
 * on; once sipd has seen the flow fail, the user hangs up: the BYE reaches
 * the callee all the same. */
static void
test_bye_after_the_flow_failed (Fixture *f, gconstpointer data)
{
  KlTestKamailio *target = fault_target (f);
  g_autofree char *remote = g_strdup_printf ("%s:5060", target->addr);
  FlowWait wait = { f->phone->line, remote, NULL };
  gint64 ms;

  assert_registered_at_primary (f);
  ms = dial_until_settled (f);
  assert_answered (f, ms);
  g_test_message ("%s, no fault: Dial->active in %" G_GINT64_FORMAT " ms", f->c->row->name, ms);
  assert_one_invite_through (f, kl_test_primary_place (f->c->row, servers ()), NULL);
  wait.local = flow_local (f->phone->line, remote);
  g_assert_nonnull (wait.local);
  kl_test_kamailio_reset_connections (target);
  if (!kl_test_wait_until (flow_replaced, &wait, WAIT_MS))
    g_error ("sipd did not see its flow %s -> %s reset", wait.local, remote);
  g_free (wait.local);
  assert_hung_up (f);
}

/* Rows with outbound off have no keep-alives: a hung or black-holed server is
 * found by Timer B only, 32 s a case. Those rows take each of the two silent
 * failures once between them, not both (the unit test has every pairing on a
 * fake clock); the rows with outbound take all three. The order spreads the
 * long cases over the two shards. */
static const Case matrix[] = {
  { &kl_test_rows[0], KL_TEST_FAULT_RESET, FALSE },
  { &kl_test_rows[0], KL_TEST_FAULT_HUNG, FALSE },
  { &kl_test_rows[1], KL_TEST_FAULT_BLACK_HOLE, FALSE },
  { &kl_test_rows[1], KL_TEST_FAULT_RESET, FALSE },
  { &kl_test_rows[2], KL_TEST_FAULT_RESET, FALSE },
  { &kl_test_rows[2], KL_TEST_FAULT_BLACK_HOLE, FALSE },
  { &kl_test_rows[3], KL_TEST_FAULT_HUNG, FALSE },
  { &kl_test_rows[3], KL_TEST_FAULT_RESET, FALSE },
  { &kl_test_rows[3], KL_TEST_FAULT_BLACK_HOLE, FALSE },
  { &kl_test_rows[4], KL_TEST_FAULT_RESET, FALSE },
  { &kl_test_rows[4], KL_TEST_FAULT_HUNG, FALSE },
  { &kl_test_rows[4], KL_TEST_FAULT_BLACK_HOLE, FALSE },
  { &kl_test_rows[5], KL_TEST_FAULT_RESET, FALSE },
  { &kl_test_rows[5], KL_TEST_FAULT_HUNG, FALSE },
  { &kl_test_rows[5], KL_TEST_FAULT_BLACK_HOLE, FALSE },
};

int
main (int argc, char **argv)
{
  static const Case dual_flow = { &kl_test_rows[5], KL_TEST_FAULT_HUNG, TRUE };
  static const Case bye[] = {
    { &kl_test_rows[0], KL_TEST_FAULT_RESET, FALSE },
    { &kl_test_rows[3], KL_TEST_FAULT_RESET, FALSE },
    { &kl_test_rows[4], KL_TEST_FAULT_RESET, FALSE },
  };

  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();
  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++) {
    g_autofree char *path = g_strdup_printf ("/e2e/call-failover/%s/%s", matrix[i].row->name,
                                             kl_test_fault_name (matrix[i].fault));

    kl_test_e2e_add (path, Fixture, &matrix[i], fixture_setup, test_new_call_while_the_primary_fails,
                     fixture_teardown);
  }
  kl_test_e2e_add ("/e2e/call-failover/outbound-on/backup-outbound-proxy-only/dual-flow/hung", Fixture, &dual_flow,
                   fixture_setup, test_dual_flow_call_while_the_primary_edge_hangs, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (bye); i++) {
    g_autofree char *path = g_strdup_printf ("/e2e/call-failover/%s/bye-after-the-flow-failed", bye[i].row->name);

    kl_test_e2e_add (path, Fixture, &bye[i], fixture_setup, test_bye_after_the_flow_failed, fixture_teardown);
  }
  return kl_test_e2e_run ();
}
