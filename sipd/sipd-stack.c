/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-stack"

#include "sipd-stack.h"

#include <string.h>

#include "sipd-client-tx.h"
#include "sipd-server-tx.h"

#define REJECTED_REPORT_MS 1000 /* a flood of strangers is told about once a second, not per datagram */

typedef struct {
  guint id;
  SipdFlowWatchFunc func;
  gpointer user_data;
} FlowWatch;

struct _SipdStack {
  KlClock *clock;
  SipdStackParams params;
  SipdUdpSocket *udp_listen[2]; /* [0] IPv4, [1] IPv6; created when first needed */
  SipdUdpSocket *udp_send[2];   /* only without symmetric signalling */
  GPtrArray *flows;             /* connecting and active flows */
  SipdClientTxTable *client_transactions;
  SipdServerTxTable *server_transactions;
  GArray *watches;
  guint next_watch_id;
  SipdRequestFunc request_func;
  gpointer request_data;
  GSource *close_unused; /* sipd_stack_close_unused_flows_soon() */
  guint64 rejected;      /* datagrams from strangers */
  GInetSocketAddress *last_rejected_from;
  KlTimer *rejected_timer;
  SipdRejectedFunc rejected_func;
  gpointer rejected_data;
};

static void on_flow_message (SipdFlow *flow, GBytes *bytes, gpointer user_data);
static void on_flow_state_changed (SipdFlow *flow, gpointer user_data);
static void on_flow_keepalive (SipdFlow *flow, gpointer user_data);
static void on_flow_suspect (SipdFlow *flow, const char *reason, gpointer user_data);
static const SipdFlowCallbacks flow_callbacks = { on_flow_message, on_flow_state_changed, on_flow_keepalive,
                                                  on_flow_suspect };

void
sipd_stack_params_from_config (SipdStackParams *params, KlConfig *config)
{
  params->timers.t1_ms = kl_config_get_int (config, 0, KL_CONFIG_KEY_T1_TIMER);
  params->timers.t2_ms = kl_config_get_int (config, 0, KL_CONFIG_KEY_T2_TIMER);
  params->timers.transaction_ms = kl_config_get_int (config, 0, KL_CONFIG_KEY_TRANSACTION_TIMER);
  params->udp_port = (guint16) kl_config_get_int (config, 0, KL_CONFIG_KEY_LOCAL_PORT);
  params->symmetric_udp = kl_config_get_bool (config, 0, KL_CONFIG_KEY_SYMMETRIC_UDP_SIGNALING);
  params->persistent_tls = kl_config_get_bool (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS);
  params->tls_port = (guint16) kl_config_get_int (config, 0, KL_CONFIG_KEY_LOCAL_TLS_PORT);
}

/* Transactions */

guint
sipd_stack_send_request (SipdStack *self,
                         SipdFlow *flow,
                         const char *method,
                         const char *branch,
                         GBytes *request,
                         SipdResponseFunc func,
                         gpointer user_data)
{
  return sipd_client_tx_send (self->client_transactions, flow, method, branch, request, func, user_data);
}

void
sipd_stack_cancel_request (SipdStack *self, guint id)
{
  sipd_client_tx_cancel (self->client_transactions, id);
}

static void
receive_request (SipdStack *self, SipdFlow *flow, SipdMessage *request)
{
  const char *branch = sipd_message_get_branch (request);

  if (branch != NULL && sipd_client_tx_has_branch (self->client_transactions, branch)) {
    g_message ("dropped a %s that looped back to us: is a server configured at our own address?",
               sipd_message_get_method (request));
    return;
  }
  if (sipd_server_tx_receive (self->server_transactions, flow, request))
    return;
  if (self->request_func != NULL)
    self->request_func (self, flow, request, self->request_data);
}

void
sipd_stack_respond (SipdStack *self, SipdFlow *flow, SipdMessage *request, GBytes *response)
{
  sipd_server_tx_respond (self->server_transactions, flow, request, response);
}

/* Dispatch */

static void
on_flow_message (SipdFlow *flow, GBytes *bytes, gpointer user_data)
{
  SipdStack *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SipdMessage) message = sipd_message_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                         &error);

  if (message == NULL) {
    g_autofree char *from = sipd_socket_address_to_string (sipd_flow_get_remote (flow));
    g_message ("dropped a malformed message from %s (%s, %" G_GSIZE_FORMAT " bytes)", from, error->message,
               g_bytes_get_size (bytes));
    return;
  }
  if (sipd_message_is_request (message))
    receive_request (self, flow, message);
  else
    sipd_client_tx_receive (self->client_transactions, flow, message);
}

/* A watch may add or remove watches, its own or others': each is looked up
 * again before it is called. */
static void
notify_watches (SipdStack *self, SipdFlow *flow, SipdFlowEvent event)
{
  g_autoptr (GArray) ids = g_array_sized_new (FALSE, FALSE, sizeof (guint), self->watches->len);

  for (guint i = 0; i < self->watches->len; i++)
    g_array_append_val (ids, g_array_index (self->watches, FlowWatch, i).id);
  for (guint i = 0; i < ids->len; i++) {
    for (guint j = 0; j < self->watches->len; j++) {
      FlowWatch watch = g_array_index (self->watches, FlowWatch, j);
      if (watch.id == g_array_index (ids, guint, i)) {
        watch.func (self, flow, event, watch.user_data);
        break;
      }
    }
  }
}

static void
on_flow_state_changed (SipdFlow *flow, gpointer user_data)
{
  SipdStack *self = user_data;
  SipdFlowState state = sipd_flow_get_state (flow);

  sipd_flow_ref (flow);
  if (state == SIPD_FLOW_STATE_FAILED || state == SIPD_FLOW_STATE_CLOSED) {
    g_ptr_array_remove (self->flows, flow);
    sipd_client_tx_fail_flow (self->client_transactions, flow);
  }
  notify_watches (self, flow, SIPD_FLOW_EVENT_STATE);
  sipd_flow_unref (flow);
}

static void
on_flow_keepalive (SipdFlow *flow, gpointer user_data)
{
  notify_watches (user_data, flow, SIPD_FLOW_EVENT_KEEPALIVE);
}

static void
on_flow_suspect (SipdFlow *flow, const char *reason, gpointer user_data)
{
  notify_watches (user_data, flow, SIPD_FLOW_EVENT_SUSPECT);
}

/* UDP */

static int
family_index (GSocketFamily family)
{
  return family == G_SOCKET_FAMILY_IPV6 ? 1 : 0;
}

static SipdFlow *
find_flow (SipdStack *self, KlTransport transport, GInetSocketAddress *remote)
{
  for (guint i = 0; i < self->flows->len; i++) {
    SipdFlow *flow = g_ptr_array_index (self->flows, i);
    GInetSocketAddress *address = sipd_flow_get_remote (flow);
    if (sipd_flow_get_transport (flow) == transport &&
        g_inet_socket_address_get_port (address) == g_inet_socket_address_get_port (remote) &&
        g_inet_address_equal (g_inet_socket_address_get_address (address),
                              g_inet_socket_address_get_address (remote)))
      return flow;
  }
  return NULL;
}

/* Only the phone's servers are heard: a datagram from an address sipd has
 * no flow to is dropped unread, and counted. */
static void
on_udp_datagram (GInetSocketAddress *from, const guint8 *data, gsize length, gpointer user_data)
{
  SipdStack *self = user_data;
  SipdFlow *flow = find_flow (self, KL_TRANSPORT_UDP, from);

  if (flow != NULL) {
    sipd_flow_receive_datagram (flow, data, length);
    return;
  }
  self->rejected++;
  g_clear_object (&self->last_rejected_from);
  self->last_rejected_from = g_object_ref (from);
  if (!kl_timer_is_active (self->rejected_timer))
    kl_timer_start (self->rejected_timer, REJECTED_REPORT_MS);
}

static void
on_rejected_report (gpointer user_data)
{
  SipdStack *self = user_data;
  g_autofree char *from = sipd_socket_address_to_string (self->last_rejected_from);

  g_debug ("dropped datagrams from senders that are not the lines' servers: %" G_GUINT64_FORMAT
           " in all, the last from %s",
           self->rejected, from);
  if (self->rejected_func != NULL)
    self->rejected_func (self, self->rejected, self->rejected_data);
}

static SipdUdpSocket *
udp_socket (SipdStack *self, GSocketFamily family, gboolean for_sending, GError **error)
{
  int i = family_index (family);

  if (self->udp_listen[i] == NULL) {
    self->udp_listen[i] = sipd_udp_socket_new (family, self->params.udp_port, on_udp_datagram, self, error);
    if (self->udp_listen[i] == NULL)
      return NULL;
  }
  if (!for_sending || self->params.symmetric_udp)
    return self->udp_listen[i];
  if (self->udp_send[i] == NULL)
    self->udp_send[i] = sipd_udp_socket_new (family, 0, on_udp_datagram, self, error);
  return self->udp_send[i];
}

/* Lifetime */

SipdStack *
sipd_stack_new (KlClock *clock, const SipdStackParams *params, GError **error)
{
  g_autoptr (SipdStack) self = g_new0 (SipdStack, 1);

  self->clock = kl_clock_ref (clock);
  self->params = *params;
  self->flows = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_flow_unref);
  self->client_transactions = sipd_client_tx_table_new (self, clock, &self->params.timers);
  self->server_transactions = sipd_server_tx_table_new (clock, &self->params.timers);
  self->watches = g_array_new (FALSE, FALSE, sizeof (FlowWatch));
  self->rejected_timer = kl_timer_new (clock, on_rejected_report, self);
  /* no UDP socket until a line uses UDP: only its servers may write to it */
  return g_steal_pointer (&self);
}

void
sipd_stack_free (SipdStack *self)
{
  if (self->close_unused != NULL) {
    g_source_destroy (self->close_unused);
    g_clear_pointer (&self->close_unused, g_source_unref);
  }
  g_clear_pointer (&self->client_transactions, sipd_client_tx_table_free);
  g_clear_pointer (&self->server_transactions, sipd_server_tx_table_free);
  if (self->flows != NULL) {
    for (guint i = 0; i < self->flows->len; i++)
      sipd_flow_close (g_ptr_array_index (self->flows, i));
    g_ptr_array_unref (self->flows);
  }
  for (guint i = 0; i < 2; i++) {
    g_clear_pointer (&self->udp_listen[i], sipd_udp_socket_free);
    g_clear_pointer (&self->udp_send[i], sipd_udp_socket_free);
  }
  g_clear_pointer (&self->watches, g_array_unref);
  g_clear_pointer (&self->rejected_timer, kl_timer_free);
  g_clear_object (&self->last_rejected_from);
  kl_clock_unref (self->clock);
  g_free (self);
}

KlClock *
sipd_stack_get_clock (SipdStack *self)
{
  return self->clock;
}

const SipdStackTimers *
sipd_stack_get_timers (SipdStack *self)
{
  return &self->params.timers;
}

void
sipd_stack_set_request_handler (SipdStack *self, SipdRequestFunc func, gpointer user_data)
{
  self->request_func = func;
  self->request_data = user_data;
}

guint
sipd_stack_add_flow_watch (SipdStack *self, SipdFlowWatchFunc func, gpointer user_data)
{
  FlowWatch watch = { ++self->next_watch_id, func, user_data };

  g_array_append_val (self->watches, watch);
  return watch.id;
}

void
sipd_stack_remove_flow_watch (SipdStack *self, guint id)
{
  for (guint i = 0; i < self->watches->len; i++) {
    if (g_array_index (self->watches, FlowWatch, i).id == id) {
      g_array_remove_index (self->watches, i);
      return;
    }
  }
}

/* The live flow to a server, or a new one, started. NULL only when the
 * transport cannot be used at all (no TLS configuration, no UDP socket). */
SipdFlow *
sipd_stack_get_flow (SipdStack *self, KlTransport transport, GInetSocketAddress *remote, const char *server_name)
{
  g_autoptr (GError) error = NULL;
  SipdFlow *flow = find_flow (self, transport, remote);
  SipdFlowParams params = {
    .transport = transport,
    .remote = remote,
    .server_name = server_name,
    .tls = self->params.tls,
    .connect_timeout_ms = self->params.timers.transaction_ms,
  };

  if (flow != NULL)
    return flow;
  switch (transport) {
  case KL_TRANSPORT_UDP:
    params.udp = udp_socket (self, g_socket_address_get_family (G_SOCKET_ADDRESS (remote)), TRUE, &error);
    if (params.udp == NULL) {
      g_warning ("no UDP socket: %s", error->message);
      return NULL;
    }
    break;
  case KL_TRANSPORT_TLS:
    if (self->params.tls == NULL)
      return NULL;
    if (self->params.persistent_tls)
      params.local_port = self->params.tls_port;
    break;
  case KL_TRANSPORT_TCP:
    break;
  }

  flow = sipd_flow_new (self->clock, &params, &flow_callbacks, self);
  g_ptr_array_add (self->flows, flow);
  sipd_flow_start (flow);
  return flow;
}

/* The address the server sees us at: the connection's local end for TCP and
 * TLS; for UDP, the source address the kernel picks towards the server with
 * the port of our UDP socket. */
GInetSocketAddress *
sipd_stack_get_local_address (SipdStack *self, SipdFlow *flow)
{
  GInetSocketAddress *remote = sipd_flow_get_remote (flow);
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (remote));
  SipdUdpSocket *udp;

  if (sipd_flow_is_stream (flow))
    return sipd_flow_get_local (flow) ? g_object_ref (sipd_flow_get_local (flow)) : NULL;

  udp = self->udp_listen[family_index (family)];
  probe = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe == NULL || udp == NULL || !g_socket_connect (probe, G_SOCKET_ADDRESS (remote), NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (probe, NULL);
  if (local == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)),
    g_inet_socket_address_get_port (sipd_udp_socket_get_local_address (udp))));
}

/* A flow to a server that nothing but the stack holds any more (the line
 * moved elsewhere, its old registration and subscriptions are gone) is
 * closed, so that it stops its keep-alives and the server can let go. */
void
sipd_stack_close_unused_flows (SipdStack *self)
{
  for (guint i = self->flows->len; i-- > 0;) {
    SipdFlow *flow = g_ptr_array_index (self->flows, i);

    if (sipd_flow_get_ref_count (flow) != 1)
      continue;
    g_message ("closing flow %u to %s: nothing uses it any more", sipd_flow_get_id (flow),
               sipd_flow_get_server_name (flow));
    sipd_flow_close (flow);
    g_ptr_array_remove_index (self->flows, i);
  }
}

static gboolean
on_close_unused (gpointer user_data)
{
  SipdStack *self = user_data;

  g_clear_pointer (&self->close_unused, g_source_unref);
  sipd_stack_close_unused_flows (self);
  return G_SOURCE_REMOVE;
}

/* Once what is being freed now is gone: after the idle callbacks of default
 * priority that free it. */
void
sipd_stack_close_unused_flows_soon (SipdStack *self)
{
  if (self->close_unused != NULL)
    return;
  self->close_unused = g_idle_source_new ();
  g_source_set_priority (self->close_unused, G_PRIORITY_LOW);
  g_source_set_callback (self->close_unused, on_close_unused, self, NULL);
  g_source_attach (self->close_unused, g_main_context_get_thread_default ());
}

guint
sipd_stack_get_n_flows (SipdStack *self)
{
  return self->flows->len;
}

/* The local address of the IPv4 SIP socket (any address, the bound port),
 * or NULL while no line uses UDP. */
GInetSocketAddress *
sipd_stack_get_udp_address (SipdStack *self)
{
  return self->udp_listen[0] ? sipd_udp_socket_get_local_address (self->udp_listen[0]) : NULL;
}

void
sipd_stack_set_rejected_handler (SipdStack *self, SipdRejectedFunc func, gpointer user_data)
{
  self->rejected_func = func;
  self->rejected_data = user_data;
}

char *
sipd_stack_via (SipdStack *self, SipdFlow *flow, const char *branch)
{
  g_autoptr (GInetSocketAddress) local = sipd_stack_get_local_address (self, flow);
  g_autofree char *sent_by = sipd_socket_address_to_string (local);
  g_autofree char *transport = g_ascii_strup (kl_transport_to_string (sipd_flow_get_transport (flow)), -1);

  return g_strdup_printf ("SIP/2.0/%s %s;branch=%s;rport", transport, *sent_by ? sent_by : "0.0.0.0", branch);
}

/* The Contact URI of a user reached over the flow: the address the server
 * sees us at, the transport, and ";ob" with outbound (RFC 5626 §5.4). */
char *
sipd_stack_contact_uri (SipdStack *self, SipdFlow *flow, const char *user, gboolean outbound)
{
  g_autoptr (GInetSocketAddress) local = sipd_stack_get_local_address (self, flow);
  g_autofree char *host_port = sipd_socket_address_to_string (local);
  KlTransport transport = sipd_flow_get_transport (flow);
  g_autoptr (GString) uri = g_string_new (NULL);

  g_string_append_printf (uri, "sip:%s@%s", user, *host_port ? host_port : "0.0.0.0");
  if (transport != KL_TRANSPORT_UDP)
    g_string_append_printf (uri, ";transport=%s", kl_transport_to_string (transport));
  if (outbound)
    g_string_append (uri, ";ob");
  return g_string_free (g_steal_pointer (&uri), FALSE);
}
