/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for what the phone's servers answer: a registration and a
 * line's subscriptions (MWI and one BLF, with the real callbacks that set the
 * line's D-Bus properties) send their requests to a socket of the harness,
 * and the input, cut into steps at "\n===\n", answers them. A step's first
 * byte picks the request it answers, its second whether it is a response in
 * that transaction (the rest: status line and extra headers, then a body) or
 * a NOTIFY in that subscription's dialog (the rest: extra headers and body).
 * The transaction headers are copied from the request, so the responses reach
 * accept_2xx, Flow-Timer, Service-Route, Record-Route, the digest challenge
 * and the NOTIFY path, not just the matcher. KL_FUZZ_SHOW=1 prints what the
 * harness sends and where the line ended, for whoever writes seeds. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "fuzz-quiet.h"
#include "kl-dbus.h"
#include "sipd-events.h"
#include "sipd-registration.h"
#include "sipd-stack.h"

#define MAX_STEPS 8
#define STEP_SEPARATOR "\n===\n"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char config_text[] = "sip proxy ip: keepline.test\n"
                                  "sip registrar ip: keepline.test\n"
                                  "sip outbound support: 1\n"
                                  "sip line1 user name: 1001\n"
                                  "sip line1 password: secret\n"
                                  "sip line1 explicit mwi subscription: 1\n"
                                  "sip line1 blf extensions: 1002\n";

static KlClock *fake_clock;
static SipdStack *stack;
static SipdFlow *flow;    /* to the harness; a new one when an answer failed it */
static GSocketAddress *server_address;
static GSocket *server; /* the harness: every request of the phone arrives here */
static SipdLineSettings *settings;
static SipdPlanServers *plan;
static KlSipLine1 *iface;
static SipdEvents *current_events; /* of the input under way */

/* What sipd-manager.c does with a NOTIFY: the line's subscriptions take it. */
static void
on_request (SipdStack *s, SipdFlow *f, SipdMessage *request, gpointer user_data)
{
  if (current_events != NULL && strcmp (sipd_message_get_method (request), "NOTIFY") == 0)
    (void) sipd_events_handle_notify (current_events, f, request);
}

static void
on_registration_changed (SipdRegistration *registration, gpointer user_data)
{
}

static void
setup (void)
{
  SipdStackParams params = { .timers = { 500, 4000, 4000 }, .udp_port = 0, .symmetric_udp = TRUE };
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (KlConfig) config = kl_config_new (NULL);
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  SipdFailoverChoice primary = { 0 };

  g_log_set_writer_func (fuzz_quiet_writer, NULL, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  g_setenv ("G_MESSAGES_DEBUG", "", TRUE);
  server = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_socket_bind (server, any, TRUE, NULL);
  g_socket_set_blocking (server, FALSE);
  server_address = g_socket_get_local_address (server, NULL);

  fake_clock = kl_clock_new_fake (1);
  stack = sipd_stack_new (fake_clock, &params, NULL);
  g_assert (stack != NULL);
  sipd_stack_set_request_handler (stack, on_request, NULL);

  kl_config_parse_data (config, "fuzz.cfg", config_text, sizeof config_text - 1, diagnostics);
  settings = sipd_line_settings_new (config, 1);
  g_assert (settings != NULL && settings->explicit_mwi);
  plan = sipd_plan_servers_new (settings, &primary);
  iface = kl_sip_line1_skeleton_new ();
}

/* The text of every request the phone sent since the last call, newest last. */
static void
collect_requests (GPtrArray *requests)
{
  char buffer[8192];
  gssize length;

  while ((length = g_socket_receive (server, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_ptr_array_add (requests, g_strndup (buffer, (gsize) length));
}

/* A header of the request as it was sent: "Via: …", "Call-ID: …" */
static void
copy_header (GString *out, const char *request, const char *name, const char *compact)
{
  g_auto (GStrv) lines = g_strsplit (request, "\r\n", -1);
  g_autofree char *long_form = g_strconcat (name, ":", NULL);
  g_autofree char *short_form = g_strconcat (compact, ":", NULL);

  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    if (g_ascii_strncasecmp (lines[i], long_form, strlen (long_form)) == 0 ||
        (*compact && g_ascii_strncasecmp (lines[i], short_form, strlen (short_form)) == 0))
      g_string_append_printf (out, "%s\r\n", lines[i]);
}

/* "SIP/2.0 <the step's first line>", the request's transaction headers, To
 * with a tag, then the rest of the step (headers, an empty line, a body). */
static GString *
response_to (const char *text, SipdMessage *request, const char *step, gsize length)
{
  const char *end = memchr (step, '\n', length);
  gsize first = end ? (gsize) (end - step) : length;
  GString *out = g_string_new ("SIP/2.0 ");
  sip_t *sip = sipd_message_get_sip (request);
  g_autofree char *to = sipd_message_print_header (request, sip->sip_to);

  g_string_append_len (out, step, (gssize) (first > 0 && step[first - 1] == '\r' ? first - 1 : first));
  g_string_append (out, "\r\n");
  copy_header (out, text, "Via", "v");
  copy_header (out, text, "From", "f");
  copy_header (out, text, "Call-ID", "i");
  copy_header (out, text, "CSeq", "");
  g_string_append_printf (out, "To: %s;tag=fuzz-to\r\n", to);
  if (end != NULL)
    g_string_append_len (out, end + 1, (gssize) (length - first - 1));
  return out;
}

/* A NOTIFY in the dialog the SUBSCRIBE made, as the notifier would send it. */
static GString *
notify_in (const char *text, SipdMessage *subscribe, const char *step, gsize length)
{
  sip_t *sip = sipd_message_get_sip (subscribe);
  g_autofree char *from = sipd_message_print_header (subscribe, sip->sip_from);
  g_autofree char *to = sipd_message_print_header (subscribe, sip->sip_to);
  GString *out = g_string_new ("NOTIFY sip:1001@127.0.0.1 SIP/2.0\r\n");

  g_string_append_printf (out, "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK%08x\r\n", g_random_int ());
  g_string_append_printf (out, "From: %s;tag=fuzz-to\r\nTo: %s\r\n", to, from);
  copy_header (out, text, "Call-ID", "i");
  g_string_append_printf (out, "CSeq: %u NOTIFY\r\n", g_random_int_range (1, 1000));
  g_string_append_len (out, step, (gssize) length);
  return out;
}

static void
answer_step (GPtrArray *requests, const guint8 *step, gsize length)
{
  const char *text;
  g_autoptr (SipdMessage) request = NULL;
  g_autoptr (GString) message = NULL;

  if (length < 2 || requests->len == 0)
    return;
  text = g_ptr_array_index (requests, step[0] % requests->len);
  request = sipd_message_parse ((const guint8 *) text, strlen (text), NULL);
  if (request == NULL) { /* the phone's own: it must parse */
    g_printerr ("the phone sent a request it cannot parse itself:\n%s\n", text);
    abort (); /* a signal libFuzzer catches, so that it keeps the input */
  }
  if ((step[1] & 1) && strcmp (sipd_message_get_method (request), "SUBSCRIBE") == 0)
    message = notify_in (text, request, (const char *) step + 2, length - 2);
  else
    message = response_to (text, request, (const char *) step + 2, length - 2);
  if (g_getenv ("KL_FUZZ_SHOW")) g_printerr ("----\n%s\n", message->str);
  sipd_flow_receive_datagram (flow, (const guint8 *) message->str, message->len);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  SipdRegistrationConfig config = {
    .aor = "sip:1001@keepline.test",
    .registrar_uri = "sip:keepline.test",
    .user = "1001",
    .auth_user = "1001",
    .password = "secret",
    .instance_id = "urn:uuid:3c1e5b7a-942d-4f61-8a0c-6e52d719b344",
    .reg_id = 1,
    .outbound = TRUE,
    .expires_s = 3600,
    .renewal_s = 15,
  };
  g_autoptr (GPtrArray) requests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (SipdRegistration) registration = NULL;
  g_autoptr (SipdEvents) events = NULL;
  const guint8 *at = data;
  const guint8 *end = data + size;

  if (stack == NULL)
    setup ();
  if (flow != NULL && sipd_flow_get_state (flow) != SIPD_FLOW_STATE_ACTIVE)
    g_clear_pointer (&flow, sipd_flow_unref);
  if (flow == NULL)
    flow = sipd_flow_ref (sipd_stack_get_flow (stack, KL_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (server_address),
                                               "keepline.test"));
  g_random_set_seed (size);
  registration = sipd_registration_new (stack, &config, on_registration_changed, NULL);
  events = sipd_events_new (stack, iface, settings, plan, NULL);
  current_events = events;
  sipd_registration_register (registration, flow);
  sipd_events_subscribe (events, flow);

  for (guint steps = 0; at < end && steps < MAX_STEPS; steps++) {
    const guint8 *next = memmem (at, (gsize) (end - at), STEP_SEPARATOR, strlen (STEP_SEPARATOR));
    gsize length = next ? (gsize) (next - at) : (gsize) (end - at);

    collect_requests (requests);
    answer_step (requests, at, length);
    kl_clock_advance (fake_clock, 1000);
    at = next ? next + strlen (STEP_SEPARATOR) : end;
  }

  if (g_getenv ("KL_FUZZ_SHOW"))
    g_printerr ("registration %s, messages waiting %d, blf %s\n",
                sipd_registration_state_to_string (sipd_registration_get_state (registration)),
                kl_sip_line1_get_messages_waiting (iface), g_variant_print (kl_sip_line1_get_blf_states (iface), FALSE));

  /* whatever the answers left (refreshes, retries, transactions) ends */
  current_events = NULL;
  g_clear_pointer (&events, sipd_events_free);
  g_clear_pointer (&registration, sipd_registration_free);
  kl_clock_advance (fake_clock, 200000);
  collect_requests (requests);
  return 0;
}
