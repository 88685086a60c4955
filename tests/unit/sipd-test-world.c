/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-test-world.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sipd-framer.h"
#include "sipd-message.h"
#include "sipd-stun.h"

#define SIP_PORT 5060
#define FLOW_TIMER_S 25
#define STEP_MS 100
#define CALLEE_SDP "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"

typedef struct {
  TestServer *server;
  GSocket *socket;
  GSource *source;
  SipdFramer *framer;
} Connection;

struct _TestServer {
  TestWorld *world;
  char *address;
  GSocket *listener;
  GSource *listen_source;
  GSocket *udp;
  GSource *udp_source;
  GPtrArray *connections;
  TestFault fault;
  guint register_reply;
  gboolean register_reply_once; /* register_reply goes back to 0 after one use */
  guint invite_reply;
  TestInviteAnswer invite_answer;
  gboolean outbound;
  GHashTable *requests; /* method → count */
  TestResponseFunc response_func;
  gpointer response_data;
  TestResponseFunc request_func;
  gpointer request_data;
  char *service_route; /* given in every 200 to REGISTER, or NULL */
  char *cluster;       /* the name it answers to beside its address, or NULL */
  guint keep_s;        /* RFC 6223: keep=N in the top Via of a 200 to REGISTER that offered keep */
  gboolean silent_pings; /* CRLF pings and STUN go unanswered */
};

typedef struct {
  char *registrar;
  char *aor;
  char *user;
  char *key;     /* instance and reg-id with outbound, else the Contact URI */
  char *contact; /* as it was sent */
  char *through; /* the edge proxy it came through, or NULL */
  gconstpointer connection; /* the TCP connection it came over, directly, or NULL */
  gint64 expires_at_ms;
} Binding;

typedef struct {
  char *notifier;
  char *call_id;
  char *to_tag;
  char *through;
  guint cseq;
} Subscription;

struct _TestWorld {
  KlClock *clock;
  GPtrArray *servers;
  GPtrArray *bindings;
  GPtrArray *subscriptions;
};

/* Where an answer goes: the connection a request came in on, or its UDP source. */
typedef struct {
  TestServer *server;
  Connection *connection;
  GSocketAddress *from;
  guint keep_s; /* RFC 6223: the next answer's top Via says keep=N when the request offered keep */
} Peer;

static void
binding_free (Binding *binding)
{
  g_free (binding->registrar);
  g_free (binding->aor);
  g_free (binding->user);
  g_free (binding->key);
  g_free (binding->contact);
  g_free (binding->through);
  g_free (binding);
}

static void
subscription_free (Subscription *subscription)
{
  g_free (subscription->notifier);
  g_free (subscription->call_id);
  g_free (subscription->to_tag);
  g_free (subscription->through);
  g_free (subscription);
}

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Like Kamailio with handle_lost_tcp: a binding made over a connection goes with it. */
static void
connection_free (Connection *connection)
{
  GPtrArray *bindings = connection->server->world->bindings;

  for (guint i = bindings->len; i-- > 0;) {
    if (((Binding *) g_ptr_array_index (bindings, i))->connection == connection)
      g_ptr_array_remove_index (bindings, i);
  }
  drop_source (&connection->source);
  g_socket_close (connection->socket, NULL);
  g_object_unref (connection->socket);
  sipd_framer_free (connection->framer);
  g_free (connection);
}

/* Sending */

static const char *
peer_transport (Peer *peer)
{
  return peer->connection != NULL ? "TCP" : "UDP";
}

static void
peer_send (Peer *peer, GBytes *bytes)
{
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  g_autoptr (GError) error = NULL;
  gssize sent;

  if (peer->connection != NULL) {
    sent = g_socket_send (peer->connection->socket, data, length, NULL, &error);
    /* the phone may have closed the connection first, as any client may */
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
      return;
    if (sent != (gssize) length)
      g_error ("%s could not send %" G_GSIZE_FORMAT " bytes: %s", peer->server->address, length,
               error ? error->message : "short write");
  }
  else
    g_socket_send_to (peer->server->udp, peer->from, data, length, NULL, NULL);
}

/* The top Via's bare keep (RFC 6223) as keep=N: the server agrees to
 * receive keep-alives every N s. Takes the response. */
static GBytes *
with_keep (GBytes *response, guint keep_s)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
  char *via = strstr (text, "\r\nVia: ");
  char *end = via ? strstr (via + 2, "\r\n") : NULL;
  char *keep = via ? g_strstr_len (via, end - via, ";keep") : NULL;
  GString *changed;

  if (keep == NULL || (keep[5] != ';' && keep[5] != '\r')) {
    g_bytes_unref (response);
    return g_bytes_new (text, strlen (text));
  }
  changed = g_string_new_len (text, keep + 5 - text);
  g_string_append_printf (changed, "=%u%s", keep_s, keep + 5);
  g_bytes_unref (response);
  return g_string_free_to_bytes (changed);
}

static void
respond (Peer *peer, SipdMessage *request, guint status, const char *reason, const char *to_tag,
         const char *headers, const char *content_type, const char *body)
{
  SipdBuilder *builder = sipd_builder_new_response (request, status, reason, to_tag);
  g_auto (GStrv) lines = g_strsplit (headers ? headers : "", "\r\n", -1);
  g_autoptr (GBytes) response = NULL;

  for (guint i = 0; lines[i]; i++) {
    char *colon = strchr (lines[i], ':');
    if (colon == NULL)
      continue;
    *colon = '\0';
    sipd_builder_add (builder, lines[i], "%s", g_strstrip (colon + 1));
  }
  response = sipd_builder_finish (builder, content_type, body);
  if (peer->keep_s > 0)
    response = with_keep (response, peer->keep_s);
  peer_send (peer, response);
}

/* Registrar */

static TestServer *
find_server (TestWorld *world, const char *address)
{
  for (guint i = 0; address != NULL && i < world->servers->len; i++) {
    TestServer *server = g_ptr_array_index (world->servers, i);
    if (g_str_equal (server->address, address))
      return server;
  }
  return NULL;
}

/* The server a request naming host is for: the one it reached when host is
 * that server's cluster, else the one at that address. */
static TestServer *
server_for (Peer *peer, const char *host)
{
  if (host != NULL && g_strcmp0 (peer->server->cluster, host) == 0)
    return peer->server;
  return find_server (peer->server->world, host);
}

/* A Contact parameter's value without its quotes and angle brackets. */
static char *
contact_param (const sip_contact_t *contact, const char *name)
{
  for (guint i = 0; contact->m_params != NULL && contact->m_params[i] != NULL; i++) {
    const char *param = contact->m_params[i];
    gsize length = strlen (name);

    if (g_ascii_strncasecmp (param, name, length) == 0 && param[length] == '=') {
      g_autofree char *value = g_strdup (param + length + 1);
      return g_strdup (g_strstrip (g_strdelimit (value, "\"<>", ' ')));
    }
  }
  return NULL;
}

static void
expire_bindings (TestWorld *world)
{
  gint64 now = kl_clock_now_ms (world->clock);

  for (guint i = world->bindings->len; i-- > 0;) {
    if (((Binding *) g_ptr_array_index (world->bindings, i))->expires_at_ms <= now)
      g_ptr_array_remove_index (world->bindings, i);
  }
}

static void
remove_binding (TestWorld *world, const char *registrar, const char *aor, const char *key)
{
  for (guint i = world->bindings->len; i-- > 0;) {
    Binding *binding = g_ptr_array_index (world->bindings, i);
    if (g_str_equal (binding->registrar, registrar) && g_str_equal (binding->aor, aor) &&
        g_str_equal (binding->key, key))
      g_ptr_array_remove_index (world->bindings, i);
  }
}

/* A registrar that cannot be reached behind an edge proxy: the proxy answers. */
static guint
unreachable_status (TestServer *registrar)
{
  return registrar->fault == TEST_FAULT_HUNG || registrar->fault == TEST_FAULT_BLACK_HOLE ? 408 : 503;
}

static void
handle_register (Peer *peer, SipdMessage *request)
{
  TestWorld *world = peer->server->world;
  sip_t *sip = sipd_message_get_sip (request);
  TestServer *registrar = server_for (peer, sip->sip_request->rq_url->url_host);
  const sip_contact_t *contact = sip->sip_contact;
  g_autofree char *aor = sipd_message_print_uri (request, sip->sip_to->a_url);
  g_autofree char *instance = NULL;
  g_autofree char *reg_id = NULL;
  g_autofree char *key = NULL;
  g_autoptr (GString) headers = g_string_new (NULL);
  gboolean outbound;
  guint expires;

  if (registrar == NULL || contact == NULL) {
    respond (peer, request, 404, "Not Found", "registrar", NULL, NULL, NULL);
    return;
  }
  if (registrar != peer->server && registrar->fault != TEST_FAULT_NONE) {
    respond (peer, request, unreachable_status (registrar), "Registrar Unreachable", "edge", NULL, NULL, NULL);
    return;
  }
  if (registrar->register_reply != 0) {
    respond (peer, request, registrar->register_reply, "Fault", "registrar", NULL, NULL, NULL);
    if (registrar->register_reply_once)
      registrar->register_reply = 0;
    return;
  }
  expires = contact->m_expires ? (guint) atoi (contact->m_expires)
                               : sip->sip_expires ? (guint) sip->sip_expires->ex_delta : 3600;
  instance = contact_param (contact, "+sip.instance");
  reg_id = contact_param (contact, "reg-id");
  outbound = registrar->outbound && instance != NULL && reg_id != NULL &&
             sipd_message_has_option_tag (request, "Supported", "outbound");
  key = outbound ? g_strdup_printf ("%s %s", instance, reg_id) : sipd_message_print_uri (request, contact->m_url);
  expire_bindings (world);
  remove_binding (world, registrar->address, aor, key);
  if (expires > 0) {
    Binding *binding = g_new0 (Binding, 1);

    binding->registrar = g_strdup (registrar->address);
    binding->aor = g_strdup (aor);
    binding->user = g_strdup (sip->sip_to->a_url->url_user);
    binding->key = g_steal_pointer (&key);
    binding->contact = sipd_message_print_header (request, contact);
    binding->through = registrar != peer->server ? g_strdup (peer->server->address) : NULL;
    binding->connection = registrar == peer->server ? peer->connection : NULL;
    binding->expires_at_ms = kl_clock_now_ms (world->clock) + (gint64) expires * 1000;
    g_ptr_array_add (world->bindings, binding);
  }
  for (guint i = 0; i < world->bindings->len; i++) {
    Binding *binding = g_ptr_array_index (world->bindings, i);
    if (g_str_equal (binding->registrar, registrar->address) && g_str_equal (binding->aor, aor))
      g_string_append_printf (headers, "Contact: %s;expires=%" G_GINT64_FORMAT "\r\n", binding->contact,
                              (binding->expires_at_ms - kl_clock_now_ms (world->clock)) / 1000);
  }
  if (outbound)
    g_string_append_printf (headers, "Require: outbound\r\nFlow-Timer: %u\r\n", FLOW_TIMER_S);
  if (registrar->service_route != NULL)
    g_string_append_printf (headers, "Service-Route: %s\r\n", registrar->service_route);
  peer->keep_s = peer->server->keep_s; /* the adjacent server's word: the edge's, or the registrar's */
  respond (peer, request, 200, "OK", "registrar", headers->str, NULL, NULL);
  peer->keep_s = 0;
}

/* Notifier */

static Subscription *
find_subscription (TestWorld *world, const char *call_id)
{
  for (guint i = 0; i < world->subscriptions->len; i++) {
    Subscription *subscription = g_ptr_array_index (world->subscriptions, i);
    if (g_str_equal (subscription->call_id, call_id))
      return subscription;
  }
  return NULL;
}

static void
send_notify (Peer *peer, SipdMessage *subscribe, Subscription *subscription, guint expires)

{
  sip_t *sip = sipd_message_get_sip (subscribe);
  g_autofree char *target = sipd_message_print_uri (subscribe, sip->sip_contact->m_url);
  g_autofree char *to = sipd_message_print_header (subscribe, sip->sip_from);
  g_autofree char *from = sipd_message_print_header (subscribe, sip->sip_to);
  g_autofree char *branch = sipd_random_token (12);
  gboolean mwi = g_ascii_strcasecmp (sip->sip_event->o_type, "message-summary") == 0;
  SipdBuilder *builder = sipd_builder_new_request ("NOTIFY", target);
  g_autoptr (GBytes) notify = NULL;

  sipd_builder_add (builder, "Via", "SIP/2.0/%s %s:%u;branch=z9hG4bK%s", peer_transport (peer), peer->server->address,
                    SIP_PORT, branch);
  sipd_builder_add (builder, "Max-Forwards", "70");
  if (sip->sip_to->a_tag != NULL)
    sipd_builder_add (builder, "From", "%s", from);
  else
    sipd_builder_add (builder, "From", "%s;tag=%s", from, subscription->to_tag);
  sipd_builder_add (builder, "To", "%s", to);
  sipd_builder_add (builder, "Call-ID", "%s", subscription->call_id);
  sipd_builder_add (builder, "CSeq", "%u NOTIFY", ++subscription->cseq);
  sipd_builder_add (builder, "Contact", "<sip:%s:%u>", subscription->notifier, SIP_PORT);
  sipd_builder_add (builder, "Event", "%s", sip->sip_event->o_type);
  if (expires > 0)
    sipd_builder_add (builder, "Subscription-State", "active;expires=%u", expires);
  else
    sipd_builder_add (builder, "Subscription-State", "terminated;reason=timeout");
  if (mwi)
    notify = sipd_builder_finish (builder, "application/simple-message-summary", "Messages-Waiting: no\r\n");
  else
    notify = sipd_builder_finish (builder, "application/dialog-info+xml",
                                  "<?xml version=\"1.0\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" "
                                  "version=\"0\" state=\"full\" entity=\"sip:x@y\"/>\n");
  peer_send (peer, notify);
}

static void
handle_subscribe (Peer *peer, SipdMessage *request)
{
  TestWorld *world = peer->server->world;
  sip_t *sip = sipd_message_get_sip (request);
  Subscription *subscription = find_subscription (world, sipd_message_get_call_id (request));
  /* a new subscription names its notifier; one in a dialog is that dialog's */
  TestServer *notifier = server_for (peer, subscription ? subscription->notifier : sip->sip_request->rq_url->url_host);
  guint expires = sip->sip_expires ? (guint) sip->sip_expires->ex_delta : 3600;
  g_autofree char *headers = NULL;

  if (notifier == NULL || sip->sip_event == NULL || sip->sip_contact == NULL) {
    respond (peer, request, 404, "Not Found", "notifier", NULL, NULL, NULL);
    return;
  }
  if (notifier != peer->server && notifier->fault != TEST_FAULT_NONE) {
    respond (peer, request, unreachable_status (notifier), "Notifier Unreachable", "edge", NULL, NULL, NULL);
    return;
  }
  if (subscription == NULL) {
    if (expires == 0) {
      respond (peer, request, 481, "Subscription Does Not Exist", "notifier", NULL, NULL, NULL);
      return;
    }
    subscription = g_new0 (Subscription, 1);
    subscription->notifier = g_strdup (notifier->address);
    subscription->call_id = g_strdup (sipd_message_get_call_id (request));
    subscription->to_tag = sipd_random_token (8);
    subscription->through = notifier != peer->server ? g_strdup (peer->server->address) : NULL;
    g_ptr_array_add (world->subscriptions, subscription);
  }
  headers = g_strdup_printf ("Expires: %u\r\nContact: <sip:%s:%u>\r\n", expires, notifier->address, SIP_PORT);
  respond (peer, request, 200, "OK", subscription->to_tag, headers, NULL, NULL);
  send_notify (peer, request, subscription, expires);
  if (expires == 0)
    g_ptr_array_remove (world->subscriptions, subscription);
}

/* The far end of every call: 100, then 200 with SDP, or the chosen status,
 * or the chosen answer; 408 for a Request-URI in the domain of a server
 * that failed. */
static void
handle_invite (Peer *peer, SipdMessage *request)
{
  g_autofree char *contact = g_strdup_printf ("Contact: <sip:callee@%s:%u>\r\n", peer->server->address, SIP_PORT);

  TestServer *domain = find_server (peer->server->world,
                                    sipd_message_get_sip (request)->sip_request->rq_url->url_host);

  respond (peer, request, 100, "Trying", NULL, NULL, NULL, NULL);
  if (domain != NULL && domain != peer->server && domain->fault != TEST_FAULT_NONE) {
    /* as Kamailio does: a domain not its own goes on to that domain's server */
    respond (peer, request, 408, "Domain Server Unreachable", "proxy", NULL, NULL, NULL);
    return;
  }
  if (peer->server->invite_reply != 0) {
    respond (peer, request, peer->server->invite_reply, "Fault", "callee", NULL, NULL, NULL);
    return;
  }
  if (peer->server->invite_answer == TEST_INVITE_TWO_CHALLENGES) {
    sip_t *sip = sipd_message_get_sip (request);
    if (sip->sip_proxy_authorization == NULL) {
      respond (peer, request, 407, "Proxy Authentication Required", "proxy",
               "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"p1\", algorithm=MD5\r\n", NULL, NULL);
      return;
    }
    if (sip->sip_authorization == NULL) {
      respond (peer, request, 401, "Unauthorized", "registrar",
               "WWW-Authenticate: Digest realm=\"registrar\", nonce=\"r1\", algorithm=MD5\r\n", NULL, NULL);
      return;
    }
  }
  respond (peer, request, 200, "OK", "callee", contact, "application/sdp", CALLEE_SDP);
  if (peer->server->invite_answer == TEST_INVITE_FORKED)
    respond (peer, request, 200, "OK", "callee2", contact, "application/sdp", CALLEE_SDP);
}

static void
count_request (TestServer *server, const char *method)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (server->requests, method));

  g_hash_table_replace (server->requests, g_strdup (method), GUINT_TO_POINTER (count + 1));
}

static void
handle_message (Peer *peer, const guint8 *data, gsize length)
{
  g_autoptr (SipdMessage) message = sipd_message_parse (data, length, NULL);
  const char *method;

  if (message != NULL && !sipd_message_is_request (message) && peer->server->response_func != NULL)
    peer->server->response_func (message, peer->server->response_data);
  if (message == NULL || !sipd_message_is_request (message))
    return; /* the phone's answers to NOTIFY, and to what a test sent */
  if (peer->server->request_func != NULL)
    peer->server->request_func (message, peer->server->request_data);
  method = sipd_message_get_method (message);
  count_request (peer->server, method);
  if (g_str_equal (method, "REGISTER"))
    handle_register (peer, message);
  else if (g_str_equal (method, "SUBSCRIBE"))
    handle_subscribe (peer, message);
  else if (g_str_equal (method, "INVITE"))
    handle_invite (peer, message);
  else if (!g_str_equal (method, "ACK"))
    respond (peer, message, 200, "OK", "server", NULL, NULL, NULL);
}

/* Sockets */

static gboolean on_connection_readable (GSocket *socket, GIOCondition condition, gpointer user_data);
static gboolean on_listener_readable (GSocket *socket, GIOCondition condition, gpointer user_data);
static gboolean on_udp_readable (GSocket *socket, GIOCondition condition, gpointer user_data);

static GSource *
watch (GSocket *socket, GSocketSourceFunc func, gpointer user_data)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) func, user_data, NULL);
  g_source_attach (source, NULL);
  return source;
}

static void
close_connection (Connection *connection)
{
  g_ptr_array_remove (connection->server->connections, connection);
}

static gboolean
on_connection_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Connection *connection = user_data;
  Peer peer = { connection->server, connection, NULL };
  guint8 buffer[8192];
  g_autoptr (GError) error = NULL;
  gssize got = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);
  GBytes *message = NULL;
  SipdFrameKind kind;

  if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (got <= 0) {
    g_clear_pointer (&connection->source, g_source_unref);
    close_connection (connection);
    return G_SOURCE_REMOVE;
  }
  sipd_framer_push (connection->framer, buffer, (gsize) got);
  while ((kind = sipd_framer_next (connection->framer, &message, NULL)) != SIPD_FRAME_NEED_MORE) {
    if (kind == SIPD_FRAME_PING) {
      count_request (connection->server, TEST_PING);
      if (!connection->server->silent_pings)
        g_socket_send (socket, "\r\n", 2, NULL, NULL);
    }
    if (kind == SIPD_FRAME_MESSAGE)
      handle_message (&peer, g_bytes_get_data (message, NULL), g_bytes_get_size (message));
    g_clear_pointer (&message, g_bytes_unref);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_listener_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  TestServer *server = user_data;
  Connection *connection;
  GSocket *accepted = g_socket_accept (socket, NULL, NULL);

  if (accepted == NULL)
    return G_SOURCE_CONTINUE;
  g_socket_set_blocking (accepted, FALSE);
  /* no Nagle: a NOTIFY right after its 200 must not wait for a delayed ACK
   * in real time while the test's clock runs fast */
  g_socket_set_option (accepted, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  connection = g_new0 (Connection, 1);
  connection->server = server;
  connection->socket = accepted;
  connection->framer = sipd_framer_new ();
  connection->source = watch (accepted, on_connection_readable, connection);
  g_ptr_array_add (server->connections, connection);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_udp_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  TestServer *server = user_data;
  g_autoptr (GSocketAddress) from = NULL;
  guint8 buffer[8192];
  gssize got = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
  Peer peer = { server, NULL, NULL };
  SipdStunTransactionId id;
  gssize i;

  if (got <= 0)
    return G_SOURCE_CONTINUE;
  peer.from = from;
  if (sipd_stun_parse_binding_request (buffer, (gsize) got, &id)) {
    g_autoptr (GBytes) response = sipd_stun_binding_response (&id, G_INET_SOCKET_ADDRESS (from));
    count_request (server, TEST_PING);
    if (!server->silent_pings)
      peer_send (&peer, response);
    return G_SOURCE_CONTINUE;
  }
  for (i = 0; i < got && (buffer[i] == '\r' || buffer[i] == '\n'); i++)
    ;
  if (i < got)
    handle_message (&peer, buffer, (gsize) got);
  return G_SOURCE_CONTINUE;
}

static GSocket *
bound_socket (const char *address, GSocketType type, GSocketProtocol protocol)
{
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new_from_string (address, SIP_PORT);
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, protocol, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  if (!g_socket_bind (socket, local, TRUE, &error))
    g_error ("cannot bind %s:%u: %s", address, SIP_PORT, error->message);
  return socket;
}

static void
open_sockets (TestServer *server)
{
  g_autoptr (GError) error = NULL;

  server->listener = bound_socket (server->address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP);
  g_socket_set_listen_backlog (server->listener, 16);
  if (!g_socket_listen (server->listener, &error))
    g_error ("cannot listen on %s: %s", server->address, error->message);
  server->udp = bound_socket (server->address, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
}

static void
watch_sockets (TestServer *server)
{
  server->listen_source = watch (server->listener, on_listener_readable, server);
  server->udp_source = watch (server->udp, on_udp_readable, server);
  for (guint i = 0; i < server->connections->len; i++) {
    Connection *connection = g_ptr_array_index (server->connections, i);
    connection->source = watch (connection->socket, on_connection_readable, connection);
  }
}

static void
unwatch_sockets (TestServer *server)
{
  drop_source (&server->listen_source);
  drop_source (&server->udp_source);
  for (guint i = 0; i < server->connections->len; i++)
    drop_source (&((Connection *) g_ptr_array_index (server->connections, i))->source);
}

static void
close_sockets (TestServer *server, gboolean reset)
{
  unwatch_sockets (server);
  for (guint i = 0; reset && i < server->connections->len; i++) {
    Connection *connection = g_ptr_array_index (server->connections, i);
    struct linger linger = { 1, 0 };
    setsockopt (g_socket_get_fd (connection->socket), SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  }
  g_ptr_array_set_size (server->connections, 0);
  g_socket_close (server->listener, NULL);
  g_clear_object (&server->listener);
  g_socket_close (server->udp, NULL);
  g_clear_object (&server->udp);
}

/* A crash loses what the server kept in memory, as Kamailio's does. */
static void
forget_state (TestServer *server)
{
  TestWorld *world = server->world;

  for (guint i = world->bindings->len; i-- > 0;) {
    if (g_str_equal (((Binding *) g_ptr_array_index (world->bindings, i))->registrar, server->address))
      g_ptr_array_remove_index (world->bindings, i);
  }
  for (guint i = world->subscriptions->len; i-- > 0;) {
    if (g_str_equal (((Subscription *) g_ptr_array_index (world->subscriptions, i))->notifier, server->address))
      g_ptr_array_remove_index (world->subscriptions, i);
  }
}

/* Public */

TestWorld *
test_world_new (KlClock *clock)
{
  TestWorld *world = g_new0 (TestWorld, 1);

  world->clock = kl_clock_ref (clock);
  world->servers = g_ptr_array_new ();
  world->bindings = g_ptr_array_new_with_free_func ((GDestroyNotify) binding_free);
  world->subscriptions = g_ptr_array_new_with_free_func ((GDestroyNotify) subscription_free);
  return world;
}

static void
server_free (TestServer *server)
{
  if (server->listener != NULL)
    close_sockets (server, FALSE);
  g_ptr_array_unref (server->connections);
  g_hash_table_unref (server->requests);
  g_free (server->address);
  g_free (server->service_route);
  g_free (server->cluster);
  g_free (server);
}

void
test_world_free (TestWorld *world)
{
  g_ptr_array_foreach (world->servers, (GFunc) (void (*) (void)) server_free, NULL);
  g_ptr_array_unref (world->servers);
  g_ptr_array_unref (world->bindings);
  g_ptr_array_unref (world->subscriptions);
  kl_clock_unref (world->clock);
  g_free (world);
}

TestServer *
test_world_add_server (TestWorld *world, const char *address)
{
  TestServer *server = g_new0 (TestServer, 1);

  server->world = world;
  server->address = g_strdup (address);
  server->outbound = TRUE;
  server->connections = g_ptr_array_new_with_free_func ((GDestroyNotify) connection_free);
  server->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  open_sockets (server);
  watch_sockets (server);
  g_ptr_array_add (world->servers, server);
  return server;
}

void
test_server_fail (TestServer *server, TestFault fault)
{
  g_return_if_fail (server->fault == TEST_FAULT_NONE);

  server->fault = fault;
  switch (fault) {
  case TEST_FAULT_RESET:
  case TEST_FAULT_FIN:
    close_sockets (server, fault == TEST_FAULT_RESET);
    forget_state (server);
    break;
  case TEST_FAULT_HUNG:
  case TEST_FAULT_BLACK_HOLE:
    unwatch_sockets (server);
    break;
  case TEST_FAULT_NONE:
    break;
  }
}

/* An idle timeout: every TCP connection of the server ends with a FIN; it
 * keeps listening, and its bindings over them go, as Kamailio's do. */
void
test_server_close_connections (TestServer *server)
{
  g_ptr_array_set_size (server->connections, 0);
}

void
test_server_recover (TestServer *server)
{
  if (server->listener == NULL)
    open_sockets (server);
  server->fault = TEST_FAULT_NONE;
  watch_sockets (server);
}

void
test_server_set_register_reply (TestServer *server, guint status)
{
  server->register_reply = status;
  server->register_reply_once = FALSE;
}

void
test_server_set_register_reply_once (TestServer *server, guint status)
{
  server->register_reply = status;
  server->register_reply_once = TRUE;
}

void
test_server_set_outbound (TestServer *server, gboolean outbound)
{
  server->outbound = outbound;
}

void
test_server_set_keepalives (TestServer *server, guint keep_s, gboolean answered)
{
  server->keep_s = keep_s;
  server->silent_pings = !answered;
}

void
test_server_set_response_hook (TestServer *server, TestResponseFunc func, gpointer user_data)
{
  server->response_func = func;
  server->response_data = user_data;
}

void
test_server_set_request_hook (TestServer *server, TestResponseFunc func, gpointer user_data)
{
  server->request_func = func;
  server->request_data = user_data;
}

void
test_server_set_cluster (TestServer *server, const char *name)
{
  g_free (server->cluster);
  server->cluster = g_strdup (name);
}

void
test_server_set_service_route (TestServer *server, const char *route)
{
  g_free (server->service_route);
  server->service_route = g_strdup (route);
}

gboolean
test_server_send_to_phone (TestServer *server, const char *user, GBytes *message)
{
  GPtrArray *bindings = server->world->bindings;

  for (guint i = 0; i < bindings->len; i++) {
    Binding *binding = g_ptr_array_index (bindings, i);
    Peer peer = { server, (Connection *) binding->connection, NULL };

    if (!g_str_equal (binding->user, user) || binding->connection == NULL ||
        ((Connection *) binding->connection)->server != server)
      continue;
    peer_send (&peer, message);
    return TRUE;
  }
  return FALSE;
}

void
test_server_set_invite_answer (TestServer *server, TestInviteAnswer answer)
{
  server->invite_answer = answer;
}

void
test_server_set_invite_reply (TestServer *server, guint status)
{
  server->invite_reply = status;
}

guint
test_server_count_requests (TestServer *server, const char *method)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (server->requests, method));
}

guint
test_world_count_bindings (TestWorld *world, const char *registrar, const char *user, const char *through)
{
  guint count = 0;

  expire_bindings (world);
  for (guint i = 0; i < world->bindings->len; i++) {
    Binding *binding = g_ptr_array_index (world->bindings, i);
    if (g_str_equal (binding->registrar, registrar) && g_str_equal (binding->user, user) &&
        (through == NULL || g_strcmp0 (binding->through, through) == 0))
      count++;
  }
  return count;
}

guint
test_world_count_subscriptions (TestWorld *world, const char *notifier, const char *through)
{
  guint count = 0;

  for (guint i = 0; i < world->subscriptions->len; i++) {
    Subscription *subscription = g_ptr_array_index (world->subscriptions, i);
    if (g_str_equal (subscription->notifier, notifier) &&
        (through == NULL || g_strcmp0 (subscription->through, through) == 0))
      count++;
  }
  return count;
}

char *
test_world_describe (TestWorld *world)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < world->bindings->len; i++) {
    Binding *binding = g_ptr_array_index (world->bindings, i);
    g_string_append_printf (text, "binding of %s at %s%s%s: %s\n", binding->aor, binding->registrar,
                            binding->through ? " through " : "", binding->through ? binding->through : "",
                            binding->contact);
  }
  for (guint i = 0; i < world->subscriptions->len; i++) {
    Subscription *subscription = g_ptr_array_index (world->subscriptions, i);
    g_string_append_printf (text, "subscription at %s%s%s\n", subscription->notifier,
                            subscription->through ? " through " : "",
                            subscription->through ? subscription->through : "");
  }
  return g_string_free (text, FALSE);
}

/* Until nothing is left to do on the main context for a moment: what the
 * kernel passes between the sockets on loopback arrives within it. */
static void
settle (void)
{
  for (guint quiet = 0; quiet < 3;) {
    if (g_main_context_iteration (NULL, FALSE)) {
      quiet = 0;
    } else {
      quiet++;
      g_usleep (100);
    }
  }
}

gboolean
test_world_run (TestWorld *world, gboolean (*condition) (gpointer), gpointer data, gint64 limit_ms)
{
  gint64 end = kl_clock_now_ms (world->clock) + limit_ms;

  for (;;) {
    settle ();
    if (condition != NULL && condition (data))
      return TRUE;
    if (kl_clock_now_ms (world->clock) >= end)
      return FALSE;
    kl_clock_advance (world->clock, STEP_MS);
  }
}

void
test_world_wait (TestWorld *world, gint64 ms)
{
  test_world_run (world, NULL, NULL, ms);
}
