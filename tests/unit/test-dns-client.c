/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stub resolver against a nameserver scripted in the test, on
 * 127.0.0.1, over UDP and TCP, on a fake clock: answers, answers to other
 * questions, TC and the TCP retry, silence, SERVFAIL, NXDOMAIN with its SOA,
 * garbage, and cancellation. */
#include <glib/gstdio.h>
#include <string.h>

#include "kl-dns-client.h"

typedef enum {
  REPLY_A,          /* one A record, 127.0.0.9, TTL 30 */
  REPLY_WRONG_ID,   /* first an answer with another ID, then REPLY_A */
  REPLY_TRUNCATED,  /* TC over UDP, the A record over TCP */
  REPLY_SILENT,     /* nothing */
  REPLY_SERVFAIL,
  REPLY_NXDOMAIN,   /* with an SOA, minimum 60 */
  REPLY_GARBAGE,    /* an answer count of 1 and no answer */
} Reply;

typedef struct {
  KlClock *clock;
  GSocket *udp;
  GSocket *tcp;
  GSource *udp_source;
  GSource *tcp_source;
  GSocket *connection; /* the TCP one being served */
  GSource *connection_source;
  GByteArray *tcp_query;
  KlDnsClient *client;
  Reply reply;
  guint udp_queries;
  guint tcp_queries;

  gboolean answered;
  GPtrArray *records;
  KlDnsRecord *soa;
  GError *error;
} Fixture;

/* Answers */

static gsize
question_end (const guint8 *query, gsize length)
{
  gsize at = 12;

  while (at < length && query[at] != 0)
    at += query[at] + 1;
  return at + 1 + 4; /* the root label, QTYPE, QCLASS */
}

static GBytes *
make_reply (const guint8 *query, gsize length, Reply reply, gboolean over_tcp, gboolean wrong_id)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize end = question_end (query, length);
  static const guint8 a_record[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 127, 0, 0, 9 };
  static const guint8 soa_record[] = {
    0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 32, /* TTL 3600, rdlength 32 */
    2, 'n', 's', 0xc0, 0x0c, 4, 'h', 'o', 's', 't', 0xc0, 0x0c,
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 60, /* serial … minimum 60 */
  };
  guint8 header[12];
  gboolean truncated = reply == REPLY_TRUNCATED && !over_tcp;
  guint rcode = reply == REPLY_SERVFAIL ? 2 : reply == REPLY_NXDOMAIN ? 3 : 0;
  guint answers = reply == REPLY_GARBAGE ? 1 : (reply == REPLY_A || reply == REPLY_WRONG_ID || reply == REPLY_TRUNCATED) && !truncated ? 1 : 0;

  g_assert_cmpuint (end, <=, length);
  memset (header, 0, sizeof header);
  header[0] = query[0] ^ (wrong_id ? 0xff : 0);
  header[1] = query[1];
  header[2] = 0x80 | (truncated ? 0x02 : 0) | 0x01; /* QR, TC, RD */
  header[3] = 0x80 | rcode;                         /* RA */
  header[5] = 1;
  header[7] = (guint8) answers;
  header[9] = reply == REPLY_NXDOMAIN ? 1 : 0;
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, query + 12, (guint) (end - 12));
  if (answers == 1 && reply != REPLY_GARBAGE)
    g_byte_array_append (out, a_record, sizeof a_record);
  if (reply == REPLY_NXDOMAIN)
    g_byte_array_append (out, soa_record, sizeof soa_record);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
on_udp_query (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Fixture *f = user_data;
  guint8 query[2048];
  g_autoptr (GSocketAddress) from = NULL;
  gssize length = g_socket_receive_from (socket, &from, (char *) query, sizeof query, NULL, NULL);

  if (length <= 0)
    return G_SOURCE_CONTINUE;
  f->udp_queries++;
  if (f->reply == REPLY_SILENT)
    return G_SOURCE_CONTINUE;
  if (f->reply == REPLY_WRONG_ID) {
    g_autoptr (GBytes) other = make_reply (query, (gsize) length, REPLY_A, FALSE, TRUE);
    g_socket_send_to (socket, from, g_bytes_get_data (other, NULL), g_bytes_get_size (other), NULL, NULL);
  }
  {
    g_autoptr (GBytes) reply = make_reply (query, (gsize) length, f->reply, FALSE, FALSE);
    g_socket_send_to (socket, from, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), NULL, NULL);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tcp_data (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Fixture *f = user_data;
  guint8 buffer[2048];
  gssize length = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, NULL);
  gsize wanted;

  if (length <= 0)
    return G_SOURCE_REMOVE;
  g_byte_array_append (f->tcp_query, buffer, (guint) length);
  if (f->tcp_query->len < 2)
    return G_SOURCE_CONTINUE;
  wanted = (gsize) f->tcp_query->data[0] << 8 | f->tcp_query->data[1];
  if (f->tcp_query->len < wanted + 2)
    return G_SOURCE_CONTINUE;
  f->tcp_queries++;
  {
    g_autoptr (GBytes) reply = make_reply (f->tcp_query->data + 2, wanted, f->reply, TRUE, FALSE);
    guint8 prefix[2] = { (guint8) (g_bytes_get_size (reply) >> 8), (guint8) g_bytes_get_size (reply) };
    g_socket_send (socket, (const char *) prefix, 2, NULL, NULL);
    g_socket_send (socket, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), NULL, NULL);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tcp_connection (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Fixture *f = user_data;
  GSocket *connection = g_socket_accept (socket, NULL, NULL);

  if (connection == NULL)
    return G_SOURCE_CONTINUE;
  g_socket_set_blocking (connection, FALSE);
  g_clear_object (&f->connection);
  f->connection = connection;
  g_byte_array_set_size (f->tcp_query, 0);
  f->connection_source = g_socket_create_source (connection, G_IO_IN, NULL);
  g_source_set_callback (f->connection_source, G_SOURCE_FUNC (on_tcp_data), f, NULL);
  g_source_attach (f->connection_source, NULL);
  return G_SOURCE_CONTINUE;
}

static GSource *
watch (GSocket *socket, GSocketSourceFunc func, Fixture *f)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, G_SOURCE_FUNC (func), f, NULL);
  g_source_attach (source, NULL);
  return source;
}

/* The kernel picks a free UDP port; the TCP port of the same number may
 * be another test's connection, so try again with a new pair. */
static GSocketAddress *
bind_udp_and_tcp (Fixture *f)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);

  for (guint attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GSocketAddress) tcp_address = NULL;
      g_autoptr (GError) error = NULL;

      f->udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
      g_assert_no_error (error);
      g_socket_bind (f->udp, any_port, FALSE, &error);
      g_assert_no_error (error);
      bound = g_socket_get_local_address (f->udp, &error);
      g_assert_no_error (error);
      f->tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
      g_assert_no_error (error);
      tcp_address = g_inet_socket_address_new (loopback, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
      if (g_socket_bind (f->tcp, tcp_address, TRUE, &error))
        return g_steal_pointer (&bound);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
      g_clear_object (&f->udp);
      g_clear_object (&f->tcp);
    }
  g_assert_not_reached ();
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  f->clock = kl_clock_new_fake (3);
  bound = bind_udp_and_tcp (f);
  g_socket_set_blocking (f->udp, FALSE);
  g_socket_listen (f->tcp, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (f->tcp, FALSE);
  f->udp_source = watch (f->udp, on_udp_query, f);
  f->tcp_source = watch (f->tcp, on_tcp_connection, f);
  f->tcp_query = g_byte_array_new ();
  f->client = kl_dns_client_new (f->clock, G_INET_SOCKET_ADDRESS (bound), NULL);
}

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kl_dns_client_free (f->client);
  drop_source (&f->udp_source);
  drop_source (&f->tcp_source);
  drop_source (&f->connection_source);
  g_clear_object (&f->connection);
  g_clear_object (&f->udp);
  g_clear_object (&f->tcp);
  g_byte_array_unref (f->tcp_query);
  g_clear_pointer (&f->records, g_ptr_array_unref);
  g_clear_pointer (&f->soa, kl_dns_record_free);
  g_clear_error (&f->error);
  kl_clock_unref (f->clock);
}

/* Lookups */

static void
on_answer (const GPtrArray *records, const KlDnsRecord *soa, const GError *error, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_false (f->answered);
  f->answered = TRUE;
  if (records != NULL) {
    f->records = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);
    for (guint i = 0; i < records->len; i++)
      g_ptr_array_add (f->records, kl_dns_record_copy (g_ptr_array_index (records, i)));
  }
  f->soa = soa ? kl_dns_record_copy (soa) : NULL;
  f->error = error ? g_error_copy (error) : NULL;
}

/* Runs the main context until the answer, advancing the fake clock by
 * step_ms whenever nothing is left to do. */
static void
run_until_answered (Fixture *f, gint64 step_ms)
{
  for (guint i = 0; i < 1000 && !f->answered; i++) {
    if (!g_main_context_iteration (NULL, FALSE)) {
      g_usleep (1000);
      if (!g_main_context_pending (NULL) && step_ms > 0)
        kl_clock_advance (f->clock, step_ms);
    }
  }
  g_assert_true (f->answered);
}

static void
look_up (Fixture *f, Reply reply, gint64 step_ms)
{
  f->reply = reply;
  kl_dns_client_lookup (f->client, "sip.keepline.test", KL_DNS_TYPE_A, NULL, on_answer, f);
  run_until_answered (f, step_ms);
}

static void
assert_the_a_record (Fixture *f)
{
  g_autofree char *address = NULL;
  KlDnsRecord *record;

  g_assert_no_error (f->error);
  g_assert_cmpuint (f->records->len, ==, 1);
  record = g_ptr_array_index (f->records, 0);
  address = g_inet_address_to_string (record->address);
  g_assert_cmpstr (address, ==, "127.0.0.9");
  g_assert_cmpuint (record->ttl, ==, 30);
  g_assert_cmpstr (record->name, ==, "sip.keepline.test");
}

static void
test_an_answer_gives_its_records (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_A, 0);
  assert_the_a_record (f);
  g_assert_cmpuint (f->udp_queries, ==, 1);
  g_assert_cmpuint (kl_dns_client_get_queries_sent (f->client), ==, 1);
}

static void
test_an_answer_with_another_id_is_ignored (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_WRONG_ID, 0);
  assert_the_a_record (f);
}

static void
test_a_cut_short_answer_is_asked_again_over_tcp (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_TRUNCATED, 0);
  assert_the_a_record (f);
  g_assert_cmpuint (f->udp_queries, ==, 1);
  g_assert_cmpuint (f->tcp_queries, ==, 1);
}

static void
test_silence_is_a_timeout_after_two_tries (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_SILENT, KL_DNS_CLIENT_TRY_MS);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_TIMEOUT);
  g_assert_cmpuint (f->udp_queries, ==, KL_DNS_CLIENT_TRIES);
  g_assert_nonnull (strstr (f->error->message, "no answer from 127.0.0.1:"));
}

static void
test_servfail_is_a_server_failure (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_SERVFAIL, 0);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_SERVER_FAILURE);
  g_assert_cmpstr (f->error->message, ==, "A sip.keepline.test: the nameserver answered SERVFAIL");
}

static void
test_nxdomain_brings_the_zones_soa (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_NXDOMAIN, 0);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND);
  g_assert_nonnull (f->soa);
  g_assert_cmpuint (f->soa->soa_minimum, ==, 60);
  g_assert_cmpuint (f->soa->ttl, ==, 3600);
}

static void
test_garbage_is_malformed (Fixture *f, gconstpointer data)
{
  look_up (f, REPLY_GARBAGE, 0);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED);
  g_assert_nonnull (strstr (f->error->message, "the answer from 127.0.0.1:"));
}

static void
test_cancel_gives_cancelled_at_once (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();

  f->reply = REPLY_SILENT;
  kl_dns_client_lookup (f->client, "sip.keepline.test", KL_DNS_TYPE_A, cancellable, on_answer, f);
  g_cancellable_cancel (cancellable);
  run_until_answered (f, 0);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_a_lookup_in_flight_when_the_client_goes_is_cancelled (Fixture *f, gconstpointer data)
{
  f->reply = REPLY_SILENT;
  kl_dns_client_lookup (f->client, "sip.keepline.test", KL_DNS_TYPE_A, NULL, on_answer, f);
  g_clear_pointer (&f->client, kl_dns_client_free);
  g_assert_true (f->answered);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_an_invalid_name_is_refused_without_asking (Fixture *f, gconstpointer data)
{
  kl_dns_client_lookup (f->client, "bad..name", KL_DNS_TYPE_A, NULL, on_answer, f);
  run_until_answered (f, 0);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_INVALID_NAME);
  g_assert_cmpuint (f->udp_queries, ==, 0);
}

static void
test_resolv_conf_gives_the_nameservers (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kl-test-resolv-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "resolv.conf", NULL);
  g_autoptr (KlClock) clock = kl_clock_new_fake (1);
  KlDnsClient *client;
  gboolean answered = FALSE;

  g_assert_no_error (error);
  /* nothing listens on 127.0.255.2:53 here: the ICMP error ends the try at once */
  g_file_set_contents (path, "# comment\nsearch example.com\nnameserver 127.0.255.2\n", -1, &error);
  g_assert_no_error (error);
  client = kl_dns_client_new (clock, NULL, path);
  {
    Fixture f = { 0 };
    kl_dns_client_lookup (client, "sip.keepline.test", KL_DNS_TYPE_A, NULL, on_answer, &f);
    f.clock = clock;
    run_until_answered (&f, KL_DNS_CLIENT_TRY_MS);
    answered = f.answered;
    g_test_message ("%s", f.error->message);
    g_assert_true (g_error_matches (f.error, KL_DNS_ERROR, KL_DNS_ERROR_NETWORK) ||
                   g_error_matches (f.error, KL_DNS_ERROR, KL_DNS_ERROR_TIMEOUT));
    g_assert_nonnull (strstr (f.error->message, "127.0.255.2:53"));
    g_clear_error (&f.error);
  }
  g_assert_true (answered);
  kl_dns_client_free (client);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/dns/client/" path, Fixture, NULL, setup, func, teardown)
  ADD ("an-answer-gives-its-records", test_an_answer_gives_its_records);
  ADD ("an-answer-with-another-id-is-ignored", test_an_answer_with_another_id_is_ignored);
  ADD ("a-cut-short-answer-is-asked-again-over-tcp", test_a_cut_short_answer_is_asked_again_over_tcp);
  ADD ("silence-is-a-timeout-after-two-tries", test_silence_is_a_timeout_after_two_tries);
  ADD ("servfail-is-a-server-failure", test_servfail_is_a_server_failure);
  ADD ("nxdomain-brings-the-zones-soa", test_nxdomain_brings_the_zones_soa);
  ADD ("garbage-is-malformed", test_garbage_is_malformed);
  ADD ("cancel-gives-cancelled-at-once", test_cancel_gives_cancelled_at_once);
  ADD ("a-lookup-in-flight-when-the-client-goes-is-cancelled",
       test_a_lookup_in_flight_when_the_client_goes_is_cancelled);
  ADD ("an-invalid-name-is-refused-without-asking", test_an_invalid_name_is_refused_without_asking);
#undef ADD
  g_test_add_func ("/dns/client/resolv-conf-gives-the-nameservers", test_resolv_conf_gives_the_nameservers);
  return g_test_run ();
}
