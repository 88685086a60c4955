/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-dns-client"

#include "kl-dns-client.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kl-random.h"

#define TCP_TRY_MS 4000
#define MAX_CNAMES 8
#define RECEIVE_BUFFER 4096 /* the query offers 1232 bytes (EDNS0); a longer datagram does not parse */

struct _KlDnsClient {
  KlClock *clock;
  GInetSocketAddress *fixed_server;
  char *resolv_conf;
  GPtrArray *servers; /* of GInetSocketAddress: fixed_server, or resolv.conf's */
  gint64 resolv_conf_mtime;
  GList *queries; /* of Query, in flight */
  guint64 queries_sent;
};

typedef struct {
  KlDnsClient *client;
  char *name;
  KlDnsType type;
  GCancellable *cancellable; /* the caller's: once cancelled, func gets G_IO_ERROR_CANCELLED */
  GSource *cancel_source;
  KlDnsQueryFunc func;
  gpointer user_data;

  GPtrArray *servers;
  guint server; /* the one being asked */
  guint tries;  /* at that one */
  guint16 id;
  GError *last_error;
  KlDnsMessage *last_failure; /* SERVFAIL and the like, given when no server does better */

  KlTimer *timer;
  GSocket *socket; /* UDP */
  GSource *source;
  GCancellable *tcp_cancellable;
  GSocketConnection *connection;
  GBytes *tcp_request;
  guint8 tcp_length[2];
  guint8 *tcp_answer;
  gsize tcp_answer_length;
} Query;

static void try_server (Query *query);

/* Nameservers */

/* The nameservers of a resolv.conf text, at most KL_DNS_CLIENT_MAX_SERVERS;
 * with none, the local one, as glibc does. */
GPtrArray *
kl_dns_parse_resolv_conf (const char *text)
{
  GPtrArray *servers = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL && servers->len < KL_DNS_CLIENT_MAX_SERVERS; i++) {
    g_auto (GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", 3);
    g_autoptr (GInetAddress) address = NULL;
    char *scope;

    if (g_strv_length (words) < 2 || !g_str_equal (words[0], "nameserver"))
      continue;
    scope = strchr (words[1], '%');
    if (scope != NULL)
      *scope = '\0';
    address = g_inet_address_new_from_string (words[1]);
    if (address != NULL)
      g_ptr_array_add (servers, g_inet_socket_address_new (address, 53));
  }
  if (servers->len == 0) {
    g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_ptr_array_add (servers, g_inet_socket_address_new (loopback, 53));
  }
  return servers;
}

static void
read_resolv_conf (KlDnsClient *self)
{
  g_autofree char *text = NULL;
  GStatBuf info;

  if (g_stat (self->resolv_conf, &info) != 0) {
    info.st_mtime = 0;
  } else if (self->servers != NULL && info.st_mtime == self->resolv_conf_mtime) {
    return;
  }
  self->resolv_conf_mtime = info.st_mtime;
  g_clear_pointer (&self->servers, g_ptr_array_unref);
  (void) g_file_get_contents (self->resolv_conf, &text, NULL, NULL);
  self->servers = kl_dns_parse_resolv_conf (text);
  g_debug ("%u nameservers from %s", self->servers->len, self->resolv_conf);
}

static GPtrArray *
current_servers (KlDnsClient *self)
{
  if (self->fixed_server == NULL)
    read_resolv_conf (self);
  return g_ptr_array_ref (self->servers);
}

/* Queries */

static char *
server_name (Query *query)
{
  GInetSocketAddress *server = g_ptr_array_index (query->servers, query->server);
  g_autofree char *address = g_inet_address_to_string (g_inet_socket_address_get_address (server));

  return g_strdup_printf ("%s:%u", address, g_inet_socket_address_get_port (server));
}

static void
stop_try (Query *query)
{
  kl_timer_stop (query->timer);
  if (query->source != NULL) {
    g_source_destroy (query->source);
    g_clear_pointer (&query->source, g_source_unref);
  }
  g_clear_object (&query->socket);
  if (query->tcp_cancellable != NULL) {
    g_cancellable_cancel (query->tcp_cancellable);
    g_clear_object (&query->tcp_cancellable);
  }
  g_clear_object (&query->connection);
  g_clear_pointer (&query->tcp_request, g_bytes_unref);
  g_clear_pointer (&query->tcp_answer, g_free);
}

static void
query_free (Query *query)
{
  stop_try (query);
  query->client->queries = g_list_remove (query->client->queries, query);
  kl_timer_free (query->timer);
  if (query->cancel_source != NULL) {
    g_source_destroy (query->cancel_source);
    g_source_unref (query->cancel_source);
  }
  g_clear_object (&query->cancellable);
  g_clear_pointer (&query->servers, g_ptr_array_unref);
  g_clear_error (&query->last_error);
  g_clear_pointer (&query->last_failure, kl_dns_message_free);
  g_free (query->name);
  g_free (query);
}

static void
finish (Query *query, KlDnsMessage *message, const GError *error)
{
  g_autoptr (GError) cancel_error = NULL;

  if (g_cancellable_set_error_if_cancelled (query->cancellable, &cancel_error))
    query->func (NULL, cancel_error, query->user_data);
  else
    query->func (message, error, query->user_data);
  query_free (query);
}

static gboolean
cancelled (Query *query)
{
  if (!g_cancellable_is_cancelled (query->cancellable))
    return FALSE;
  finish (query, NULL, NULL);
  return TRUE;
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  cancelled (user_data);
  return G_SOURCE_REMOVE;
}

/* This server failed: the next one, or the end. */
static void
next_server (Query *query, GError *error)
{
  stop_try (query);
  g_clear_error (&query->last_error);
  query->last_error = error;
  query->server++;
  query->tries = 0;
  try_server (query);
}

static gboolean
answers_question (Query *query, KlDnsMessage *message, guint16 id)
{
  return message->response && message->id == id && message->question_name != NULL &&
         message->question_type == query->type && g_ascii_strcasecmp (message->question_name, query->name) == 0;
}

static void
take_answer (Query *query, KlDnsMessage *message)
{
  if (message->rcode == KL_DNS_RCODE_NOERROR || message->rcode == KL_DNS_RCODE_NXDOMAIN) {
    finish (query, message, NULL);
    kl_dns_message_free (message);
    return;
  }
  g_clear_pointer (&query->last_failure, kl_dns_message_free);
  query->last_failure = message;
  next_server (query, NULL);
}

static GError *
tcp_error (Query *query, const char *reason)
{
  g_autofree char *server = server_name (query);

  return g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_TRUNCATED,
                      "the answer from %s was cut short, and over TCP %s", server, reason);
}

static void
on_tcp_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Query *query = user_data;
  g_autoptr (GError) error = NULL;
  gsize length;
  KlDnsMessage *message;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &length, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !cancelled (query))
      next_server (query, tcp_error (query, error->message));
    return;
  }
  if (cancelled (query))
    return;
  if (length < query->tcp_answer_length) {
    next_server (query, tcp_error (query, "the connection closed in the middle of it"));
    return;
  }
  message = kl_dns_message_parse (query->tcp_answer, length, &error);
  if (message == NULL) {
    next_server (query, g_steal_pointer (&error));
  } else if (!answers_question (query, message, query->id)) {
    kl_dns_message_free (message);
    next_server (query, tcp_error (query, "it answered another question"));
  } else if (message->truncated) {
    kl_dns_message_free (message);
    next_server (query, tcp_error (query, "it was cut short too"));
  } else {
    take_answer (query, message);
  }
}

static void
on_tcp_length (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Query *query = user_data;
  g_autoptr (GError) error = NULL;
  gsize length;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &length, &error) || length < 2) {
    if (error == NULL || (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !cancelled (query)))
      next_server (query, tcp_error (query, error ? error->message : "the connection closed"));
    return;
  }
  query->tcp_answer_length = (gsize) query->tcp_length[0] << 8 | query->tcp_length[1];
  query->tcp_answer = g_malloc (MAX (query->tcp_answer_length, 1));
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (query->connection)), query->tcp_answer,
                                 query->tcp_answer_length, G_PRIORITY_DEFAULT, query->tcp_cancellable, on_tcp_answer,
                                 query);
}

static void
on_tcp_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Query *query = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !cancelled (query))
      next_server (query, tcp_error (query, error->message));
    return;
  }
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (query->connection)), query->tcp_length,
                                 2, G_PRIORITY_DEFAULT, query->tcp_cancellable, on_tcp_length, query);
}

static void
on_tcp_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Query *query = user_data;
  g_autoptr (GError) error = NULL;
  GSocketConnection *connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  g_autoptr (GBytes) request = NULL;
  GByteArray *framed;
  guint8 length[2];
  gsize size;

  if (connection == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !cancelled (query))
      next_server (query, tcp_error (query, error->message));
    return;
  }
  query->connection = connection;
  if (cancelled (query))
    return;
  request = kl_dns_query_new (query->id, query->name, query->type, NULL);
  size = g_bytes_get_size (request);
  length[0] = (guint8) (size >> 8);
  length[1] = (guint8) size;
  framed = g_byte_array_sized_new ((guint) size + 2);
  g_byte_array_append (framed, length, 2);
  g_byte_array_append (framed, g_bytes_get_data (request, NULL), (guint) size);
  query->tcp_request = g_byte_array_free_to_bytes (framed); /* must outlive the write */
  query->client->queries_sent++;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                   g_bytes_get_data (query->tcp_request, NULL), g_bytes_get_size (query->tcp_request),
                                   G_PRIORITY_DEFAULT, query->tcp_cancellable, on_tcp_sent, query);
}

static void
ask_over_tcp (Query *query)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  stop_try (query);
  g_debug ("%s: the answer was cut short; asking over TCP", query->name);
  query->tcp_cancellable = g_cancellable_new ();
  g_socket_client_connect_async (client, g_ptr_array_index (query->servers, query->server), query->tcp_cancellable,
                                 on_tcp_connected, query);
  kl_timer_start (query->timer, TCP_TRY_MS);
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Query *query = user_data;
  guint8 buffer[RECEIVE_BUFFER];

  if (cancelled (query))
    return G_SOURCE_REMOVE;
  for (;;) {
    g_autoptr (GError) error = NULL;
    gssize length = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);
    KlDnsMessage *message;

    if (length < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      return G_SOURCE_CONTINUE;
    if (length < 0) {
      g_autofree char *server = server_name (query);
      next_server (query, g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_NETWORK, "%s: %s", server, error->message));
      return G_SOURCE_REMOVE;
    }
    message = kl_dns_message_parse (buffer, (gsize) length, &error);
    if (message == NULL) {
      g_autofree char *server = server_name (query);
      g_prefix_error (&error, "the answer from %s: ", server);
      next_server (query, g_steal_pointer (&error));
      return G_SOURCE_REMOVE;
    }
    if (!answers_question (query, message, query->id)) {
      g_debug ("%s: dropped an answer to another question", query->name);
      kl_dns_message_free (message);
      continue;
    }
    if (message->truncated) {
      kl_dns_message_free (message);
      ask_over_tcp (query);
      return G_SOURCE_REMOVE;
    }
    /* the source may be destroyed from here on */
    take_answer (query, message);
    return G_SOURCE_REMOVE;
  }
}

static void
send_datagram (Query *query)
{
  GInetSocketAddress *server = g_ptr_array_index (query->servers, query->server);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autofree char *name = server_name (query);

  query->id = (guint16) kl_random_below (65536);
  request = kl_dns_query_new (query->id, query->name, query->type, &error);
  if (request == NULL) {
    finish (query, NULL, error);
    return;
  }
  query->socket = g_socket_new (g_socket_address_get_family (G_SOCKET_ADDRESS (server)), G_SOCKET_TYPE_DATAGRAM,
                                G_SOCKET_PROTOCOL_UDP, &error);
  if (query->socket != NULL)
    g_socket_set_blocking (query->socket, FALSE);
  if (query->socket == NULL || !g_socket_connect (query->socket, G_SOCKET_ADDRESS (server), NULL, &error) ||
      g_socket_send (query->socket, g_bytes_get_data (request, NULL), g_bytes_get_size (request), NULL, &error) < 0) {
    next_server (query, g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_NETWORK, "%s: %s", name, error->message));
    return;
  }
  query->client->queries_sent++;
  g_debug ("%s %s: asking %s (try %u)", kl_dns_type_to_string (query->type), query->name, name, query->tries + 1);
  query->source = g_socket_create_source (query->socket, G_IO_IN, NULL);
  g_source_set_callback (query->source, G_SOURCE_FUNC (on_readable), query, NULL);
  g_source_attach (query->source, g_main_context_get_thread_default ());
  kl_timer_start (query->timer, KL_DNS_CLIENT_TRY_MS);
}

static void
try_server (Query *query)
{
  if (query->server >= query->servers->len) {
    if (query->last_failure != NULL) {
      finish (query, query->last_failure, NULL);
    } else {
      g_autoptr (GError) error = query->last_error ? g_error_copy (query->last_error)
                                                   : g_error_new_literal (KL_DNS_ERROR, KL_DNS_ERROR_NETWORK,
                                                                          "no nameserver");
      finish (query, NULL, error);
    }
    return;
  }
  send_datagram (query);
}

static void
on_try_timeout (gpointer user_data)
{
  Query *query = user_data;
  g_autofree char *server = NULL;

  if (cancelled (query))
    return;
  server = server_name (query);
  if (query->tcp_cancellable != NULL) {
    next_server (query, tcp_error (query, "there was no answer"));
    return;
  }
  stop_try (query);
  if (++query->tries < KL_DNS_CLIENT_TRIES) {
    send_datagram (query);
    return;
  }
  next_server (query, g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_TIMEOUT, "no answer from %s (%u tries)", server,
                                   KL_DNS_CLIENT_TRIES));
}

void
kl_dns_client_query (KlDnsClient *self,
                     const char *name,
                     KlDnsType type,
                     GCancellable *cancellable,
                     KlDnsQueryFunc func,
                     gpointer user_data)
{
  Query *query = g_new0 (Query, 1);

  query->client = self;
  query->name = g_strdup (name);
  query->type = type;
  query->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  query->func = func;
  query->user_data = user_data;
  query->servers = current_servers (self);
  query->timer = kl_timer_new (self->clock, on_try_timeout, query);
  if (cancellable != NULL) {
    query->cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (query->cancel_source, G_SOURCE_FUNC (on_cancelled), query, NULL);
    g_source_attach (query->cancel_source, g_main_context_get_thread_default ());
  }
  self->queries = g_list_prepend (self->queries, query);
  try_server (query);
}

/* Answers into records */

static gboolean
owner_is (const KlDnsRecord *record, const char *name)
{
  return g_ascii_strcasecmp (record->name, name) == 0;
}

static KlDnsRecord *
find_soa (KlDnsMessage *message)
{
  return message->authority->len > 0 ? kl_dns_record_copy (g_ptr_array_index (message->authority, 0)) : NULL;
}

GPtrArray *
kl_dns_answer_records (KlDnsMessage *message, const char *name, KlDnsType type, KlDnsRecord **ret_soa, GError **error)
{
  const char *type_name = kl_dns_type_to_string (type);
  const char *owner = name;
  guint32 cname_ttl = G_MAXUINT32;

  if (message->rcode == KL_DNS_RCODE_NXDOMAIN) {
    *ret_soa = find_soa (message);
    g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND, "%s %s: no such name", type_name, name);
    return NULL;
  }
  if (message->rcode != KL_DNS_RCODE_NOERROR) {
    g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_SERVER_FAILURE, "%s %s: the nameserver answered %s", type_name,
                 name, kl_dns_rcode_to_string (message->rcode));
    return NULL;
  }
  for (guint hops = 0; hops <= MAX_CNAMES; hops++) {
    g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);
    const char *alias = NULL;

    for (guint i = 0; i < message->answers->len; i++) {
      const KlDnsRecord *record = g_ptr_array_index (message->answers, i);

      if (!owner_is (record, owner))
        continue;
      if (record->type == type) {
        KlDnsRecord *copy = kl_dns_record_copy (record);
        copy->ttl = MIN (copy->ttl, cname_ttl);
        g_ptr_array_add (records, copy);
      } else if (record->type == KL_DNS_TYPE_CNAME && alias == NULL) {
        alias = record->target;
        cname_ttl = MIN (cname_ttl, record->ttl);
      }
    }
    if (records->len > 0)
      return g_steal_pointer (&records);
    if (alias == NULL)
      break;
    owner = alias;
  }
  *ret_soa = find_soa (message);
  g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS, "%s %s: the name has no %s records", type_name, name,
               type_name);
  return NULL;
}

typedef struct {
  char *name;
  KlDnsType type;
  GCancellable *cancellable;
  KlDnsLookupFunc func;
  gpointer user_data;
} Lookup;

static void
on_lookup_answer (KlDnsMessage *message, const GError *error, gpointer user_data)
{
  Lookup *lookup = user_data;
  g_autoptr (GError) answer_error = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (KlDnsRecord) soa = NULL;

  if (message == NULL) {
    answer_error = g_error_copy (error);
    g_prefix_error (&answer_error, "%s %s: ", kl_dns_type_to_string (lookup->type), lookup->name);
  } else {
    records = kl_dns_answer_records (message, lookup->name, lookup->type, &soa, &answer_error);
  }
  lookup->func (records, soa, answer_error, lookup->user_data);
  g_clear_object (&lookup->cancellable);
  g_free (lookup->name);
  g_free (lookup);
}

void
kl_dns_client_lookup (KlDnsClient *self,
                      const char *name,
                      KlDnsType type,
                      GCancellable *cancellable,
                      KlDnsLookupFunc func,
                      gpointer user_data)
{
  Lookup *lookup = g_new0 (Lookup, 1);

  lookup->name = g_strdup (name);
  lookup->type = type;
  lookup->func = func;
  lookup->user_data = user_data;
  kl_dns_client_query (self, name, type, cancellable, on_lookup_answer, lookup);
}

static void
source_lookup (gpointer self,
               const char *name,
               KlDnsType type,
               GCancellable *cancellable,
               KlDnsLookupFunc func,
               gpointer user_data)
{
  kl_dns_client_lookup (self, name, type, cancellable, func, user_data);
}

KlDnsSource
kl_dns_client_get_source (KlDnsClient *self)
{
  return (KlDnsSource) { source_lookup, self };
}

/* Lifetime */

KlDnsClient *
kl_dns_client_new (KlClock *clock, GInetSocketAddress *server, const char *resolv_conf)
{
  KlDnsClient *self = g_new0 (KlDnsClient, 1);

  self->clock = kl_clock_ref (clock);
  self->resolv_conf = g_strdup (resolv_conf ? resolv_conf : "/etc/resolv.conf");
  if (server != NULL) {
    self->fixed_server = g_object_ref (server);
    self->servers = g_ptr_array_new_with_free_func (g_object_unref);
    g_ptr_array_add (self->servers, g_object_ref (server));
  }
  return self;
}

void
kl_dns_client_free (KlDnsClient *self)
{
  if (self == NULL)
    return;
  while (self->queries != NULL) {
    Query *query = self->queries->data;
    g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the resolver stops");

    query->func (NULL, error, query->user_data);
    query_free (query);
  }
  g_clear_pointer (&self->servers, g_ptr_array_unref);
  g_clear_object (&self->fixed_server);
  kl_clock_unref (self->clock);
  g_free (self->resolv_conf);
  g_free (self);
}

guint64
kl_dns_client_get_queries_sent (KlDnsClient *self)
{
  return self->queries_sent;
}

gboolean
kl_dns_server_from_config (KlConfig *config, GInetSocketAddress **ret_server, GError **error)
{
  g_autofree char *host = NULL;
  g_autoptr (GInetAddress) address = NULL;
  guint16 port;

  *ret_server = NULL;
  if (!kl_config_get_address (config, KL_CONFIG_KEY_DNS_SERVER, &host, &port))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  if (address == NULL) {
    g_set_error (error, KL_CONFIG_ERROR, KL_CONFIG_ERROR_INVALID, "sip dns server: '%s' is not an address", host);
    return FALSE;
  }
  *ret_server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port ? port : 53));
  return TRUE;
}
