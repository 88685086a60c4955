/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls of sipd against real servers, as the D-Bus API of Call1 shows them: a
 * line of sipd registered at a real Kamailio on 127.0.N.2 calls, and is called
 * by, a real baresip phone over UDP, TCP, TLS and persistent TLS (answered,
 * held, resumed, hung up from each side), and scripted sipp far ends (busy,
 * ringing until cancelled, early media, a lost ACK, a redirect; a caller that
 * cancels, one rejected from D-Bus), and a call rings out its ring timeout or
 * finds nobody. Each case checks the call's State, StateChanged and
 * EndReason, RemoteSdp, Manager1.Calls, what the far end saw (baresip's
 * events, sipp's exit status) and that the callee got one INVITE with one
 * Call-ID; bad D-Bus input changes nothing, an ended call leaves the bus 5 s
 * later, and a MESSAGE to the phone is answered. */
#include <string.h>

#include "kl-test-baresip.h"
#include "kl-test-e2e.h"
#include "kl-test-kamailio.h"
#include "kl-test-phone.h"
#include "kl-test-sipp.h"

#define SERVER kl_test_e2e_address (2)
#define PHONE kl_test_e2e_address (10)
#define UAS kl_test_e2e_address (20)
#define UAC kl_test_e2e_address (30)
#define UAS_PORT 5070
#define SIP_NAME "org.keepline.Sip"
#define WAIT_MS 10000
#define RING_TIMEOUT_S 10 /* the shortest there is */
#define WRONG_STATE "org.keepline.Sip.Error.WrongState"
#define MALFORMED "org.keepline.Sip.Error.Malformed"

static const char *certdir; /* one set of certificates for the whole run */

typedef struct {
  const char *name;
  int protocol; /* sip transport protocol */
  gboolean persistent;
  guint16 port;
  const char *phone_transport; /* baresip's, to the same Kamailio */
} Transport;

/* Behind TLS, baresip talks TCP: a request within a dialog it started goes
 * to its Contact on a new connection (the test Kamailio aliases the Contacts
 * of replies only), and baresip, having no certificate, cannot accept TLS. */
static const Transport transports[] = {
  { "udp", 1, FALSE, 5060, "udp" },
  { "tcp", 2, FALSE, 5060, "tcp" },
  { "tls", 4, FALSE, 5061, "tcp" },
  { "persistent-tls", 4, TRUE, 5061, "tcp" },
};

typedef struct {
  const Transport *transport;
  KlTestKamailio *kamailio;
  KlTestPhone *phone;
  KlSipManager1 *manager;
  guint state_changed_id;
  guint removed_id;
  GHashTable *changes;  /* call path -> GPtrArray of "state (reason)", every StateChanged in order */
  GHashTable *removed;  /* call path -> monotonic µs of its InterfacesRemoved */
  GHashTable *ended;    /* call path -> monotonic µs of its StateChanged "ended" */
  char *incoming_path;  /* of the last IncomingCall */
  char *incoming_call_id;
  gint64 incoming_time;
  guint incoming_calls; /* IncomingCall signals in all */
} Fixture;

/* SDP offers of the media component, on the test's own .1 address */

static char *
offer (guint version, const char *direction)
{
  const char *addr = kl_test_e2e_address (1);

  return g_strdup_printf ("v=0\r\no=- 1 %u IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n%s",
                          version, addr, addr, direction ? direction : "");
}

/* The bus and sipd */

static gint64 *
now (void)
{
  gint64 *time = g_new (gint64, 1);

  *time = g_get_monotonic_time ();
  return time;
}

static void
on_state_changed (GDBusConnection *connection,
                  const char *sender,
                  const char *path,
                  const char *interface,
                  const char *signal,
                  GVariant *parameters,
                  gpointer data)
{
  Fixture *f = data;
  GPtrArray *changes = g_hash_table_lookup (f->changes, path);
  const char *state, *reason;

  g_variant_get (parameters, "(&s&s)", &state, &reason);
  if (changes == NULL) {
    changes = g_ptr_array_new_with_free_func (g_free);
    g_hash_table_insert (f->changes, g_strdup (path), changes);
  }
  g_ptr_array_add (changes, g_strdup_printf ("%s (%s)", state, reason));
  if (g_str_equal (state, "ended"))
    g_hash_table_insert (f->ended, g_strdup (path), now ());
}

static void
on_interfaces_removed (GDBusConnection *connection,
                       const char *sender,
                       const char *path,
                       const char *interface,
                       const char *signal,
                       GVariant *parameters,
                       gpointer data)
{
  Fixture *f = data;
  const char *object;

  g_variant_get (parameters, "(&o@as)", &object, NULL);
  g_hash_table_insert (f->removed, g_strdup (object), now ());
}

static void
on_incoming_call (KlSipLine1 *line, const char *from, const char *call_id, const char *call, gpointer data)
{
  Fixture *f = data;

  g_free (f->incoming_path);
  g_free (f->incoming_call_id);
  f->incoming_path = g_strdup (call);
  f->incoming_call_id = g_strdup (call_id);
  f->incoming_time = g_get_monotonic_time ();
  f->incoming_calls++;
}

static void
write_config (Fixture *f)
{
  g_autofree char *trust = g_build_filename (certdir, "ca.pem", NULL);
  g_autofree char *text = g_strdup_printf ("sip local port: 0\n"
                                           "sip local tls port: 0\n"
                                           "sip outbound support: 1\n"
                                           "sip transport protocol: %d\n"
                                           "sips persistent tls: %d\n"
                                           "sips trusted certificates: %s\n"
                                           "sip proxy ip: %s\n"
                                           "sip proxy port: %u\n"
                                           "sip line1 user name: 1001\n"
                                           "sip line1 password: secret1001\n"
                                           "sip ring timeout: %u\n",
                                           f->transport->protocol, f->transport->persistent, trust, SERVER,
                                           f->transport->port, RING_TIMEOUT_S);

  kl_test_config_write (f->phone->config_dir, "local.cfg", text);
}

static void
start_sipd (Fixture *f)
{
  GDBusConnection *bus = f->phone->bus->connection;
  g_autoptr (GError) error = NULL;

  write_config (f);
  kl_test_phone_start_sipd (f->phone);
  f->state_changed_id = g_dbus_connection_signal_subscribe (bus, SIP_NAME, "org.keepline.Sip.Call1", "StateChanged",
                                                            NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_state_changed, f,
                                                            NULL);
  f->removed_id = g_dbus_connection_signal_subscribe (bus, SIP_NAME, "org.freedesktop.DBus.ObjectManager",
                                                      "InterfacesRemoved", "/org/keepline/Sip", NULL,
                                                      G_DBUS_SIGNAL_FLAGS_NONE, on_interfaces_removed, f, NULL);
  f->manager = kl_sip_manager1_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, SIP_NAME, "/org/keepline/Sip", NULL,
                                               &error);
  g_assert_no_error (error);
  g_signal_connect (f->phone->line, "incoming-call", G_CALLBACK (on_incoming_call), f);
  kl_test_phone_wait_registered (f->phone, WAIT_MS);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->transport = data;
  f->kamailio = kl_test_kamailio_start (SERVER, certdir, 30);
  f->phone = kl_test_phone_new ();
  f->changes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  f->removed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->ended = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  start_sipd (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->state_changed_id != 0)
    g_dbus_connection_signal_unsubscribe (f->phone->bus->connection, f->state_changed_id);
  if (f->removed_id != 0)
    g_dbus_connection_signal_unsubscribe (f->phone->bus->connection, f->removed_id);
  g_clear_object (&f->manager);
  kl_test_phone_free (f->phone);
  kl_test_kamailio_free (f->kamailio);
  g_hash_table_unref (f->changes);
  g_hash_table_unref (f->removed);
  g_hash_table_unref (f->ended);
  g_free (f->incoming_path);
  g_free (f->incoming_call_id);
}

/* Calls on the bus */

static KlSipCall1 *
call_proxy (Fixture *f, const char *path)
{
  g_autoptr (GError) error = NULL;
  KlSipCall1 *call = kl_sip_call1_proxy_new_sync (f->phone->bus->connection, G_DBUS_PROXY_FLAGS_NONE, SIP_NAME, path,
                                                  NULL, &error);

  g_assert_no_error (error);
  return call;
}

static gboolean
manager_lists (Fixture *f, const char *path)
{
  const char *const *calls = kl_sip_manager1_get_calls (f->manager);

  return calls != NULL && g_strv_contains (calls, path);
}

typedef struct {
  Fixture *f;
  const char *path;
} ListWait;

static gboolean
is_listed (gpointer data)
{
  ListWait *wait = data;
  return manager_lists (wait->f, wait->path);
}

/* A proxy of the call, which Manager1.Calls lists. */
static KlSipCall1 *
listed_call (Fixture *f, const char *path)
{
  ListWait wait = { f, path };

  if (!kl_test_wait_until (is_listed, &wait, WAIT_MS))
    g_error ("Manager1.Calls does not list %s", path);
  return call_proxy (f, path);
}

static KlSipCall1 *
dial (Fixture *f, const char *uri)
{
  g_autofree char *sdp = offer (1, NULL);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  kl_sip_line1_call_dial_sync (f->phone->line, uri, sdp, &path, NULL, &error);
  g_assert_no_error (error);
  return listed_call (f, path);
}

static const char *
path_of (KlSipCall1 *call)
{
  return g_dbus_proxy_get_object_path (G_DBUS_PROXY (call));
}

/* Every StateChanged of the call so far, e.g. "ringing (180 Ringing), active (200 OK)". */
static char *
changes_of (Fixture *f, KlSipCall1 *call)
{
  GPtrArray *changes = g_hash_table_lookup (f->changes, path_of (call));
  g_autoptr (GString) text = g_string_new ("");

  for (guint i = 0; changes != NULL && i < changes->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", (char *) changes->pdata[i]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
assert_changes_end_with (Fixture *f, KlSipCall1 *call, const char *tail)
{
  g_autofree char *changes = changes_of (f, call);

  if (!g_str_has_suffix (changes, tail))
    g_error ("%s changed state %s; expected it to end with %s", path_of (call), changes, tail);
}

typedef struct {
  Fixture *f;
  KlSipCall1 *call;
  const char *state;
} CallWait;

/* The property and the signal both: the signal says how, the property what. */
static gboolean
call_is_in (gpointer data)
{
  CallWait *wait = data;
  GPtrArray *changes = g_hash_table_lookup (wait->f->changes, path_of (wait->call));
  const char *last = changes && changes->len ? changes->pdata[changes->len - 1] : "";

  return g_strcmp0 (kl_sip_call1_get_state (wait->call), wait->state) == 0 &&
         (g_str_equal (wait->state, "dialing") || g_str_has_prefix (last, wait->state));
}

static void
wait_for_call_within (Fixture *f, KlSipCall1 *call, const char *state, guint timeout_ms)
{
  CallWait wait = { f, call, state };

  if (!kl_test_wait_until (call_is_in, &wait, timeout_ms)) {
    g_autofree char *changes = changes_of (f, call);
    g_error ("%s is %s, not %s; end reason \"%s\"; state changes: %s", path_of (call),
             kl_sip_call1_get_state (call), state, kl_sip_call1_get_end_reason (call), changes);
  }
}

static void
wait_for_call (Fixture *f, KlSipCall1 *call, const char *state)
{
  wait_for_call_within (f, call, state, WAIT_MS);
}

static void
assert_ended (Fixture *f, KlSipCall1 *call, const char *reason)
{
  g_autofree char *tail = g_strdup_printf ("ended (%s)", reason);

  wait_for_call (f, call, "ended");
  g_assert_cmpstr (kl_sip_call1_get_end_reason (call), ==, reason);
  assert_changes_end_with (f, call, tail);
}

static void
assert_dbus_error (GError *error, const char *name)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, name) != 0)
    g_error ("expected the error %s, got %s: %s", name, remote, error->message);
}

static void
hangup (KlSipCall1 *call)
{
  g_autoptr (GError) error = NULL;

  kl_sip_call1_call_hangup_sync (call, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
got_incoming (gpointer data)
{
  return ((Fixture *) data)->incoming_path != NULL;
}

/* Forgets the last IncomingCall, before a new call comes. */
static void
expect_incoming (Fixture *f)
{
  g_clear_pointer (&f->incoming_path, g_free);
  g_clear_pointer (&f->incoming_call_id, g_free);
}

/* The call of the IncomingCall that came since expect_incoming(). */
static KlSipCall1 *
incoming_call (Fixture *f)
{
  if (!kl_test_wait_until (got_incoming, f, WAIT_MS))
    g_error ("no IncomingCall on line 1");
  return listed_call (f, f->incoming_path);
}

static void
assert_one_invite (guint invites, GPtrArray *call_ids, guint expected_invites, guint expected_call_ids)
{
  g_assert_cmpuint (invites, ==, expected_invites);
  g_assert_cmpuint (call_ids->len, ==, expected_call_ids);
}

static KlTestSipp *
start_uas (Fixture *f, const char *scenario, const char *const *options)
{
  g_autofree char *uri = g_strdup_printf ("sip:%s:%u", UAS, UAS_PORT);
  KlTestSipp *sipp = kl_test_sipp_start (scenario, UAS, UAS_PORT, "udp", NULL, options);

  kl_test_kamailio_set_uas (f->kamailio, uri);
  return sipp;
}

/* The sipp far end passed its scenario, having received one INVITE. */
static void
assert_sipp_passed (KlTestSipp *sipp, guint invites)
{
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);

  if (kl_test_sipp_wait (sipp, WAIT_MS) != 0)
    g_error ("sipp did not pass its scenario (status %d); see %s/messages.log and screen.log", sipp->status,
             sipp->dir);
  assert_one_invite (kl_test_sipp_count_invites (sipp, call_ids), call_ids, invites, invites > 0 ? 1 : 0);
}

/* Outgoing calls to baresip */

static void
test_outgoing_answered_held_resumed_and_hung_up_from_each_side (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", f->transport->phone_transport,
                                                           TRUE);
  g_autofree char *uri = g_strdup_printf ("sip:1009@%s", SERVER);
  g_autofree char *hold = offer (2, "a=sendonly\r\n");
  g_autofree char *resume = offer (3, NULL);
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (KlSipCall1) call = NULL;
  g_autoptr (KlSipCall1) second = NULL;
  g_autoptr (GError) error = NULL;
  const char *established;

  /* answered, held, resumed, hung up here */
  call = dial (f, "1009");
  g_assert_cmpstr (kl_sip_call1_get_direction (call), ==, "outgoing");
  g_assert_cmpstr (kl_sip_call1_get_remote_uri (call), ==, uri);
  wait_for_call (f, call, "active");
  established = kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS);
  g_assert_nonnull (established);
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_sdp (call), "m=audio "));
  g_assert_cmpstr (kl_sip_call1_get_end_reason (call), ==, "");
  assert_one_invite (kl_test_baresip_count_invites (phone, call_ids), call_ids, 1, 1);
  g_assert_cmpstr (call_ids->pdata[0], ==, established);

  kl_sip_call1_call_hold_sync (call, hold, NULL, &error);
  g_assert_no_error (error);
  wait_for_call (f, call, "held");
  g_assert_cmpstr (kl_sip_call1_get_local_sdp (call), ==, hold);
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_sdp (call), "a=recvonly"));
  kl_sip_call1_call_resume_sync (call, resume, NULL, &error);
  g_assert_no_error (error);
  wait_for_call (f, call, "active");
  g_assert_cmpstr (kl_sip_call1_get_local_sdp (call), ==, resume);
  g_assert_null (strstr (kl_sip_call1_get_remote_sdp (call), "a=recvonly"));

  hangup (call);
  assert_ended (f, call, "hung up here");
  assert_changes_end_with (f, call, "active (200 OK), held (on hold), active (resumed), ended (hung up here)");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS), ==, established);
  g_assert_true (manager_lists (f, path_of (call))); /* ended, still there for its EndReason */
  /* the two re-INVITEs are in the same dialog */
  g_ptr_array_set_size (call_ids, 0);
  assert_one_invite (kl_test_baresip_count_invites (phone, call_ids), call_ids, 3, 1);

  /* a second call, hung up by the far end */
  second = dial (f, "1009");
  g_assert_cmpstr (path_of (second), !=, path_of (call));
  wait_for_call (f, second, "active");
  established = kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS);
  g_assert_nonnull (established);
  kl_test_baresip_hangup (phone);
  assert_ended (f, second, "hung up by the far end");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS), ==, established);
  g_ptr_array_set_size (call_ids, 0);
  assert_one_invite (kl_test_baresip_count_invites (phone, call_ids), call_ids, 4, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (call_ids, established, g_str_equal, NULL));
}

/* Incoming calls from baresip */

static void
test_incoming_rung_answered_and_hung_up_from_each_side (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", f->transport->phone_transport,
                                                           FALSE);
  g_autofree char *uri = g_strdup_printf ("sip:1001@%s", SERVER);
  g_autofree char *answer = offer (1, NULL);
  g_autoptr (KlSipCall1) call = NULL;
  g_autoptr (KlSipCall1) second = NULL;
  g_autoptr (GError) error = NULL;
  const char *ringing;

  /* rung, answered, hung up here */
  expect_incoming (f);
  kl_test_baresip_dial (phone, uri);
  call = incoming_call (f);
  ringing = kl_test_baresip_wait_for (phone, "CALL_RINGING", WAIT_MS);
  g_assert_cmpstr (ringing, ==, f->incoming_call_id);
  g_assert_cmpstr (kl_sip_call1_get_state (call), ==, "ringing");
  g_assert_cmpstr (kl_sip_call1_get_direction (call), ==, "incoming");
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_uri (call), "sip:1009@"));
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_sdp (call), "m=audio "));

  kl_sip_call1_call_answer_sync (call, answer, NULL, &error);
  g_assert_no_error (error);
  wait_for_call (f, call, "active");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS), ==, ringing);
  g_assert_cmpstr (kl_sip_call1_get_local_sdp (call), ==, answer);
  hangup (call);
  assert_ended (f, call, "hung up here");
  assert_changes_end_with (f, call, "active (answered here), ended (hung up here)");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS), ==, ringing);

  /* rung, answered, hung up by the far end */
  expect_incoming (f);
  kl_test_baresip_dial (phone, uri);
  second = incoming_call (f);
  ringing = kl_test_baresip_wait_for (phone, "CALL_RINGING", WAIT_MS);
  g_assert_cmpstr (ringing, ==, f->incoming_call_id);
  g_assert_cmpstr (path_of (second), !=, path_of (call));
  kl_sip_call1_call_answer_sync (second, answer, NULL, &error);
  g_assert_no_error (error);
  wait_for_call (f, second, "active");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS), ==, ringing);
  kl_test_baresip_hangup (phone);
  assert_ended (f, second, "hung up by the far end");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS), ==, ringing);
  g_assert_cmpuint (f->incoming_calls, ==, 2); /* one for each INVITE */
}

static void
test_outgoing_to_an_unregistered_user_ends_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (KlSipCall1) call = dial (f, "1008");

  assert_ended (f, call, "not found (404)");
  g_assert_cmpstr (kl_sip_call1_get_remote_sdp (call), ==, "");
}

static void
test_incoming_unanswered_ends_after_the_ring_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", "udp", FALSE);
  g_autofree char *uri = g_strdup_printf ("sip:1001@%s", SERVER);
  g_autoptr (KlSipCall1) call = NULL;
  const char *ringing;
  gint64 *ended;

  expect_incoming (f);
  kl_test_baresip_dial (phone, uri);
  call = incoming_call (f);
  ringing = kl_test_baresip_wait_for (phone, "CALL_RINGING", WAIT_MS);
  g_assert_cmpstr (ringing, ==, f->incoming_call_id);
  /* the ring timeout runs from the INVITE, before which the wait cannot start */
  wait_for_call_within (f, call, "ended", RING_TIMEOUT_S * 1000 + WAIT_MS);
  assert_ended (f, call, "no answer");
  assert_changes_end_with (f, call, "ended (no answer)");
  ended = g_hash_table_lookup (f->ended, path_of (call));
  g_assert_cmpint (*ended - f->incoming_time, >=, (RING_TIMEOUT_S * 1000 - 500) * 1000);
  g_assert_cmpint (*ended - f->incoming_time, <=, (RING_TIMEOUT_S * 1000 + 2000) * 1000);
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS), ==, ringing);
  g_assert_cmpuint (kl_test_baresip_count_invites (phone, NULL), ==, 0); /* it was the caller */
}

/* Outgoing calls to sipp far ends (a user 9… that Kamailio routes there) */

static void
test_outgoing_to_a_busy_callee_ends_busy (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestSipp) callee = start_uas (f, "uas-busy", NULL);
  g_autoptr (KlSipCall1) call = dial (f, "900");

  assert_ended (f, call, "busy (486)");
  g_assert_cmpstr (kl_sip_call1_get_remote_sdp (call), ==, "");
  g_assert_true (manager_lists (f, path_of (call)));
  assert_sipp_passed (callee, 1);
}

static void
test_outgoing_hung_up_while_ringing_is_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestSipp) callee = start_uas (f, "uas-no-answer", NULL);
  g_autoptr (KlSipCall1) call = dial (f, "900");

  wait_for_call (f, call, "ringing");
  hangup (call);
  assert_ended (f, call, "cancelled here");
  assert_changes_end_with (f, call, "ringing (180 Ringing), ended (cancelled here)");
  assert_sipp_passed (callee, 1); /* it got the CANCEL */
}

static void
test_outgoing_with_early_media_then_answered (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestSipp) callee = start_uas (f, "uas-early-media", NULL);
  g_autoptr (KlSipCall1) call = dial (f, "900");

  wait_for_call (f, call, "early");
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_sdp (call), "o=far-end "));
  wait_for_call (f, call, "active");
  assert_changes_end_with (f, call, "early (183 Session Progress), active (200 OK)");
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_sdp (call), "o=far-end "));
  hangup (call);
  assert_ended (f, call, "hung up here");
  assert_sipp_passed (callee, 1); /* it got the ACK and the BYE */
}

static void
test_outgoing_whose_ack_was_lost_is_acked_again (Fixture *f, gconstpointer data)
{
  const char *options[] = { "-pause_msg_ign", NULL };
  g_autoptr (KlTestSipp) callee = start_uas (f, "uas-lost-ack", options);
  g_autoptr (KlSipCall1) call = dial (f, "900");

  wait_for_call (f, call, "active");
  /* the callee drops the first ACK, sends the 200 OK again a second later
   * and waits for its ACK before it takes a BYE */
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpstr (kl_sip_call1_get_state (call), ==, "active");
  hangup (call);
  assert_ended (f, call, "hung up here");
  assert_sipp_passed (callee, 1);
}

static void
test_outgoing_redirected_reaches_the_new_target (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", "udp", TRUE);
  g_autofree char *target = g_strdup_printf ("sip:1009@%s", SERVER);
  const char *options[] = { "-key", "contact", target, NULL };
  g_autoptr (KlTestSipp) callee = start_uas (f, "uas-redirect", options);
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (KlSipCall1) call = dial (f, "900");
  const char *established;

  wait_for_call (f, call, "active");
  established = kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS);
  g_assert_nonnull (established);
  assert_sipp_passed (callee, 1); /* 302, then the ACK */
  assert_one_invite (kl_test_baresip_count_invites (phone, call_ids), call_ids, 1, 1);
  g_assert_cmpstr (call_ids->pdata[0], ==, established);
  hangup (call);
  assert_ended (f, call, "hung up here");
  g_assert_cmpstr (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS), ==, established);
}

/* Incoming calls from sipp */

static void
test_incoming_cancelled_by_the_caller_ends_at_once (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestSipp) caller = NULL;
  g_autoptr (KlSipCall1) call = NULL;
  gint64 *ended;

  expect_incoming (f);
  caller = kl_test_sipp_start_uac ("uac-cancel", UAC, f->kamailio, "1001", "udp", NULL);
  call = incoming_call (f);
  assert_ended (f, call, "cancelled by the caller");
  /* the caller cancels as soon as it hears 180 Ringing, which came with IncomingCall */
  ended = g_hash_table_lookup (f->ended, path_of (call));
  g_assert_nonnull (ended);
  g_assert_cmpint (*ended - f->incoming_time, <, G_USEC_PER_SEC);
  assert_sipp_passed (caller, 0); /* 200 to the CANCEL, 487 to the INVITE */
}

static void
test_incoming_rejected_from_dbus (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestSipp) caller = NULL;
  g_autoptr (KlSipCall1) call = NULL;
  g_autoptr (GError) error = NULL;

  expect_incoming (f);
  caller = kl_test_sipp_start_uac ("uac-busy", UAC, f->kamailio, "1001", "udp", NULL);
  call = incoming_call (f);
  g_assert_cmpstr (kl_sip_call1_get_state (call), ==, "ringing");
  g_assert_nonnull (strstr (kl_sip_call1_get_remote_uri (call), "sip:tester@"));

  /* a status that is no rejection changes nothing */
  kl_sip_call1_call_reject_sync (call, 200, NULL, &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  g_assert_cmpstr (kl_sip_call1_get_state (call), ==, "ringing");

  kl_sip_call1_call_reject_sync (call, 486, NULL, &error);
  g_assert_no_error (error);
  assert_ended (f, call, "rejected here (486)");
  assert_sipp_passed (caller, 0); /* it heard 486 and ACKed */
}

/* Bad D-Bus input */

static gboolean
is_removed (gpointer data)
{
  ListWait *wait = data;
  return g_hash_table_contains (wait->f->removed, wait->path) && !manager_lists (wait->f, wait->path);
}

static void
test_bad_dbus_input_changes_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", "udp", TRUE);
  g_autofree char *sdp = offer (1, NULL);
  g_autofree char *hold = offer (2, "a=sendonly\r\n");
  const char *bad_uris[] = { "sip:", "a b", "" };
  g_autoptr (GPtrArray) call_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (KlSipCall1) call = NULL;
  g_autoptr (GError) error = NULL;
  ListWait removal = { f, NULL };
  gint64 *ended, *removed;

  /* Dial with a malformed URI or SDP: no call */
  for (guint i = 0; i < G_N_ELEMENTS (bad_uris); i++) {
    kl_sip_line1_call_dial_sync (f->phone->line, bad_uris[i], sdp, NULL, NULL, &error);
    assert_dbus_error (error, MALFORMED);
    g_clear_error (&error);
  }
  kl_sip_line1_call_dial_sync (f->phone->line, "1009", "this is no SDP", NULL, NULL, &error);
  assert_dbus_error (error, MALFORMED);
  g_clear_error (&error);
  g_assert_cmpuint (g_strv_length ((char **) kl_sip_manager1_get_calls (f->manager)), ==, 0);

  /* methods that do not fit the call's state, or a bad SDP, leave it as it is */
  call = dial (f, "1009");
  wait_for_call (f, call, "active");
  g_assert_nonnull (kl_test_baresip_wait_for (phone, "CALL_ESTABLISHED", WAIT_MS));
  kl_sip_call1_call_answer_sync (call, sdp, NULL, &error);
  assert_dbus_error (error, WRONG_STATE);
  g_clear_error (&error);
  kl_sip_call1_call_reject_sync (call, 486, NULL, &error);
  assert_dbus_error (error, WRONG_STATE);
  g_clear_error (&error);
  kl_sip_call1_call_resume_sync (call, sdp, NULL, &error);
  assert_dbus_error (error, WRONG_STATE);
  g_clear_error (&error);
  kl_sip_call1_call_hold_sync (call, "this is no SDP", NULL, &error);
  assert_dbus_error (error, MALFORMED);
  g_clear_error (&error);
  g_assert_cmpstr (kl_sip_call1_get_state (call), ==, "active");
  g_assert_cmpstr (kl_sip_call1_get_local_sdp (call), ==, sdp);
  assert_changes_end_with (f, call, "active (200 OK)");

  hangup (call);
  assert_ended (f, call, "hung up here");
  kl_sip_call1_call_hangup_sync (call, NULL, &error);
  assert_dbus_error (error, WRONG_STATE);
  g_clear_error (&error);
  kl_sip_call1_call_hold_sync (call, hold, NULL, &error);
  assert_dbus_error (error, WRONG_STATE);
  g_clear_error (&error);
  g_assert_nonnull (kl_test_baresip_wait_for (phone, "CALL_CLOSED", WAIT_MS));
  g_assert_cmpstr (kl_sip_call1_get_end_reason (call), ==, "hung up here");
  assert_changes_end_with (f, call, "active (200 OK), ended (hung up here)");
  assert_one_invite (kl_test_baresip_count_invites (phone, call_ids), call_ids, 1, 1);

  /* the ended call leaves the bus 5 s after it ended */
  removal.path = path_of (call);
  g_assert_true (manager_lists (f, removal.path));
  g_assert_true (kl_test_wait_until (is_removed, &removal, WAIT_MS));
  ended = g_hash_table_lookup (f->ended, removal.path);
  removed = g_hash_table_lookup (f->removed, removal.path);
  g_test_message ("the ended call left the bus after %" G_GINT64_FORMAT " ms", (*removed - *ended) / 1000);
  g_assert_cmpint (*removed - *ended, >=, 4500 * 1000);
  g_assert_cmpint (*removed - *ended, <=, 7000 * 1000);
}

/* MESSAGE */

static void
test_message_to_a_phone_is_answered (Fixture *f, gconstpointer data)
{
  g_autoptr (KlTestBaresip) phone = kl_test_baresip_start (PHONE, f->kamailio, "1009", "udp", TRUE);
  g_autofree char *result = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (phone); /* registered: it answers the MESSAGE */
  kl_sip_line1_call_send_message_sync (f->phone->line, "1009", "hello from line 1", &result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result, ==, "200 OK");
}

int
main (int argc, char **argv)
{
  static const struct {
    const char *name;
    void (*func) (Fixture *f, gconstpointer data);
  } sipp_cases[] = {
    { "outgoing-to-a-busy-callee-ends-busy", test_outgoing_to_a_busy_callee_ends_busy },
    { "outgoing-to-an-unregistered-user-ends-not-found", test_outgoing_to_an_unregistered_user_ends_not_found },
    { "outgoing-hung-up-while-ringing-is-cancelled", test_outgoing_hung_up_while_ringing_is_cancelled },
    { "outgoing-with-early-media-then-answered", test_outgoing_with_early_media_then_answered },
    { "outgoing-whose-ack-was-lost-is-acked-again", test_outgoing_whose_ack_was_lost_is_acked_again },
    { "outgoing-redirected-reaches-the-new-target", test_outgoing_redirected_reaches_the_new_target },
    { "incoming-cancelled-by-the-caller-ends-at-once", test_incoming_cancelled_by_the_caller_ends_at_once },
    { "incoming-rejected-from-dbus", test_incoming_rejected_from_dbus },
    { "message-to-a-phone-is-answered", test_message_to_a_phone_is_answered },
  };

  kl_test_e2e_init (&argc, &argv);
  certdir = kl_test_e2e_certificates ();

  /* the longest first: shards take every other case */
  kl_test_e2e_add ("/e2e/calls/udp/incoming-unanswered-ends-after-the-ring-timeout", Fixture, &transports[0],
                   fixture_setup, test_incoming_unanswered_ends_after_the_ring_timeout, fixture_teardown);
  kl_test_e2e_add ("/e2e/calls/udp/bad-dbus-input-changes-nothing", Fixture, &transports[0], fixture_setup,
                   test_bad_dbus_input_changes_nothing, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (transports); i++) {
    g_autofree char *outgoing = g_strdup_printf (
      "/e2e/calls/%s/outgoing-answered-held-resumed-and-hung-up-from-each-side", transports[i].name);
    g_autofree char *incoming = g_strdup_printf ("/e2e/calls/%s/incoming-rung-answered-and-hung-up-from-each-side",
                                                 transports[i].name);

    kl_test_e2e_add (outgoing, Fixture, &transports[i], fixture_setup,
                     test_outgoing_answered_held_resumed_and_hung_up_from_each_side, fixture_teardown);
    kl_test_e2e_add (incoming, Fixture, &transports[i], fixture_setup,
                     test_incoming_rung_answered_and_hung_up_from_each_side, fixture_teardown);
  }
  for (guint i = 0; i < G_N_ELEMENTS (sipp_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/e2e/calls/udp/%s", sipp_cases[i].name);

    kl_test_e2e_add (path, Fixture, &transports[0], fixture_setup, sipp_cases[i].func, fixture_teardown);
  }

  return kl_test_e2e_run ();
}
