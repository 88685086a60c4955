/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 3263 server location and the RFC 2782 order of SRV targets, against a
 * scripted record source. */
#include <string.h>

#include "kl-dns-sip.h"
#include "kl-test-dns-source.h"

typedef struct {
  KlTestDnsSource *dns;
  KlSipTargets *targets;
  GError *error;
  guint answers;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->dns = kl_test_dns_source_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kl_sip_targets_free (f->targets);
  g_clear_error (&f->error);
  kl_test_dns_source_free (f->dns);
}

static void
on_resolved (KlSipTargets *targets, const GError *error, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true ((targets == NULL) != (error == NULL));
  f->answers++;
  g_clear_pointer (&f->targets, kl_sip_targets_free);
  g_clear_error (&f->error);
  f->targets = targets ? kl_sip_targets_copy (targets) : NULL;
  f->error = error ? g_error_copy (error) : NULL;
}

static void
resolve (Fixture *f, const char *host, guint16 port, KlTransport transport)
{
  KlDnsSource source = kl_test_dns_source_get (f->dns);

  f->answers = 0;
  kl_sip_resolve (&source, host, port, transport, 42, NULL, on_resolved, f);
  g_assert_cmpuint (f->answers, ==, 1);
}

static void
add (Fixture *f, const char *const *lines)
{
  for (guint i = 0; lines[i] != NULL; i++)
    kl_test_dns_source_add (f->dns, lines[i]);
}

static void
assert_targets (Fixture *f, const char *expected)
{
  g_autofree char *text = NULL;

  g_assert_no_error (f->error);
  g_assert_nonnull (f->targets);
  text = kl_sip_targets_to_string (f->targets);
  g_assert_cmpstr (text, ==, expected);
}

static const char *const two_servers[] = {
  "_sip._tcp.test 60 SRV 20 0 5070 sip2.test",
  "_sip._tcp.test 60 SRV 10 0 5060 sip1.test",
  "sip1.test 5 A 127.0.0.2",
  "sip2.test 30 A 127.0.0.3",
  NULL,
};

static void
test_srv_priority_orders_primary_and_secondary (Fixture *f, gconstpointer data)
{
  add (f, two_servers);
  resolve (f, "test", 0, KL_TRANSPORT_TCP);
  assert_targets (f, "127.0.0.2:5060, 127.0.0.3:5070");
  g_assert_cmpstr (f->targets->path, ==, "SRV _sip._tcp.test, A/AAAA");
  g_assert_cmpuint (kl_test_dns_source_count (f->dns, "NAPTR", "test"), ==, 1);
}

static void
test_ttl_is_the_smallest_of_the_records_used (Fixture *f, gconstpointer data)
{
  add (f, two_servers);
  resolve (f, "test", 0, KL_TRANSPORT_TCP);
  g_assert_cmpuint (f->targets->ttl_s, ==, 5);
}

static void
test_naptr_picks_the_record_of_the_transport (Fixture *f, gconstpointer data)
{
  static const char *const lines[] = {
    "test 300 NAPTR 10 50 s SIP+D2U _sip._udp.test",
    "test 300 NAPTR 20 50 s SIP+D2T _sip._tcp.test",
    "test 300 NAPTR 30 50 s SIPS+D2T _sips._tcp.test",
    "_sip._udp.test 300 SRV 10 0 5060 udp.test",
    "_sip._tcp.test 300 SRV 10 0 5060 tcp.test",
    "_sips._tcp.test 300 SRV 10 0 5061 tls.test",
    "udp.test 300 A 127.0.0.10",
    "tcp.test 300 A 127.0.0.11",
    "tls.test 300 A 127.0.0.12",
    NULL,
  };

  add (f, lines);
  resolve (f, "test", 0, KL_TRANSPORT_TLS);
  assert_targets (f, "127.0.0.12:5061");
  g_assert_cmpstr (f->targets->path, ==, "NAPTR SIPS+D2T, SRV _sips._tcp.test, A/AAAA");
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.10:5060");
}

static void
test_naptr_order_and_preference_choose_among_records_of_one_transport (Fixture *f, gconstpointer data)
{
  static const char *const lines[] = {
    "test 300 NAPTR 10 60 s SIP+D2T _sip._tcp.second.test",
    "test 300 NAPTR 10 50 s SIP+D2T _sip._tcp.first.test",
    "_sip._tcp.first.test 300 SRV 10 0 5060 first.test",
    "_sip._tcp.second.test 300 SRV 10 0 5060 second.test",
    "first.test 300 A 127.0.0.20",
    "second.test 300 A 127.0.0.21",
    NULL,
  };

  add (f, lines);
  resolve (f, "test", 0, KL_TRANSPORT_TCP);
  assert_targets (f, "127.0.0.20:5060");
}

static void
test_without_srv_the_name_itself_at_the_default_port (Fixture *f, gconstpointer data)
{
  kl_test_dns_source_add (f->dns, "sip.test 5 A 127.0.0.2");
  resolve (f, "sip.test", 0, KL_TRANSPORT_TLS);
  assert_targets (f, "127.0.0.2:5061");
  g_assert_cmpstr (f->targets->path, ==, "SRV _sips._tcp.sip.test, A/AAAA");
}

static void
test_a_port_means_no_naptr_and_no_srv (Fixture *f, gconstpointer data)
{
  add (f, two_servers);
  kl_test_dns_source_add (f->dns, "test 5 A 127.0.0.9");
  resolve (f, "test", 5080, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.9:5080");
  g_assert_cmpuint (kl_test_dns_source_count (f->dns, "NAPTR", "test"), ==, 0);
  g_assert_cmpuint (kl_test_dns_source_count (f->dns, "SRV", "_sip._udp.test"), ==, 0);
}

static void
test_an_address_needs_no_lookup_and_never_expires (Fixture *f, gconstpointer data)
{
  resolve (f, "127.0.0.5", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.5:5060");
  g_assert_cmpuint (f->targets->ttl_s, ==, G_MAXUINT32);
  g_assert_cmpuint (kl_test_dns_source_total (f->dns), ==, 0);
}

static void
test_ipv4_addresses_come_before_ipv6_of_each_host (Fixture *f, gconstpointer data)
{
  static const char *const lines[] = {
    "_sip._udp.test 60 SRV 10 0 5060 a.test",
    "_sip._udp.test 60 SRV 20 0 5060 b.test",
    "a.test 60 AAAA ::1",
    "a.test 60 A 127.0.0.2",
    "b.test 60 A 127.0.0.3",
    NULL,
  };

  add (f, lines);
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.2:5060, [::1]:5060, 127.0.0.3:5060");
}

static void
test_a_target_without_address_is_left_out (Fixture *f, gconstpointer data)
{
  static const char *const lines[] = {
    "_sip._udp.test 60 SRV 10 0 5060 gone.test",
    "_sip._udp.test 60 SRV 20 0 5060 b.test",
    "b.test 60 A 127.0.0.3",
    NULL,
  };

  add (f, lines);
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.3:5060");
}

/* A target whose lookup got no usable answer is left out too, but the
 * answer says so and names it; one with no address at all is just left out. */
static void
test_a_target_without_an_answer_is_named (Fixture *f, gconstpointer data)
{
  static const char *const lines[] = {
    "_sip._udp.test 600 SRV 10 0 5060 a.test",
    "_sip._udp.test 600 SRV 20 0 5060 b.test",
    "a.test 600 A 127.0.0.2",
    NULL,
  };
  const char *const b[] = { "b.test", NULL };

  add (f, lines);
  kl_test_dns_source_add (f->dns, "b.test A TIMEOUT");
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.2:5060");
  g_assert_cmpuint (f->targets->ttl_s, ==, 600);
  g_assert_nonnull (f->targets->incomplete);
  g_assert_nonnull (strstr (f->targets->path, "; incomplete: "));
  g_assert_true (g_strv_equal ((const char *const *) f->targets->left_out, b));

  kl_test_dns_source_clear (f->dns);
  add (f, lines);
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.2:5060");
  g_assert_null (f->targets->incomplete);
  g_assert_null (f->targets->left_out);
}

/* AAAA unanswered while A answered: incomplete, but nothing left out. */
static void
test_an_unanswered_aaaa_makes_the_answer_incomplete (Fixture *f, gconstpointer data)
{
  add (f, two_servers);
  kl_test_dns_source_add (f->dns, "sip2.test AAAA TIMEOUT");
  resolve (f, "test", 0, KL_TRANSPORT_TCP);
  assert_targets (f, "127.0.0.2:5060, 127.0.0.3:5070");
  g_assert_nonnull (f->targets->incomplete);
  g_assert_null (f->targets->left_out);
}

/* What an earlier answer knew of a target left out comes back, in its place
 * by priority; targets not left out do not. */
static void
test_fill_in_puts_back_what_a_lost_answer_left_out (Fixture *f, gconstpointer data)
{
  static const char *const lines[] = {
    "_sip._udp.test 600 SRV 10 0 5060 a.test",
    "_sip._udp.test 600 SRV 20 0 5060 b.test",
    "_sip._udp.test 600 SRV 30 0 5060 c.test",
    "a.test 600 A 127.0.0.2",
    "b.test 600 A 127.0.0.3",
    "c.test 600 A 127.0.0.4",
    NULL,
  };
  g_autoptr (GInetAddress) old = g_inet_address_new_from_string ("127.0.0.9");
  g_autoptr (KlSipTargets) earlier = NULL;
  g_autofree char *text = NULL;

  add (f, lines);
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  earlier = kl_sip_targets_copy (f->targets);
  kl_sip_targets_add (earlier, "old.test", old, 5060, 10, 0); /* not left out: stays out */

  kl_test_dns_source_clear (f->dns);
  add (f, lines);
  kl_test_dns_source_add (f->dns, "b.test A TIMEOUT");
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  assert_targets (f, "127.0.0.2:5060, 127.0.0.4:5060");
  kl_sip_targets_fill_in (f->targets, earlier);
  text = kl_sip_targets_to_string (f->targets);
  g_assert_cmpstr (text, ==, "127.0.0.2:5060, 127.0.0.3:5060, 127.0.0.4:5060");
}

static void
test_srv_dot_target_says_the_service_is_not_offered (Fixture *f, gconstpointer data)
{
  kl_test_dns_source_add (f->dns, "_sip._udp.test 60 SRV 0 0 0 .");
  kl_test_dns_source_add (f->dns, "test 60 A 127.0.0.2");
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS);
  g_assert_nonnull (g_strstr_len (f->error->message, -1, "not offered"));
}

static void
test_a_name_with_no_records_is_not_found (Fixture *f, gconstpointer data)
{
  resolve (f, "nothing.test", 0, KL_TRANSPORT_UDP);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND);
  g_assert_cmpstr (f->error->message, ==, "A nothing.test: no such name");
}

static void
test_servfail_is_reported_rather_than_the_negative_answers_after_it (Fixture *f, gconstpointer data)
{
  kl_test_dns_source_add (f->dns, "test NAPTR SERVFAIL");
  kl_test_dns_source_add (f->dns, "_sip._udp.test SRV SERVFAIL");
  resolve (f, "test", 0, KL_TRANSPORT_UDP);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_SERVER_FAILURE);
  g_assert_cmpstr (f->error->message, ==, "NAPTR test: SERVFAIL");
}

static void
test_servfail_on_naptr_alone_still_finds_the_srv (Fixture *f, gconstpointer data)
{
  add (f, two_servers);
  kl_test_dns_source_add (f->dns, "test NAPTR SERVFAIL");
  resolve (f, "test", 0, KL_TRANSPORT_TCP);
  assert_targets (f, "127.0.0.2:5060, 127.0.0.3:5070");
}

static void
test_a_timeout_ends_the_procedure_at_once (Fixture *f, gconstpointer data)
{
  add (f, two_servers);
  kl_test_dns_source_add (f->dns, "test NAPTR TIMEOUT");
  resolve (f, "test", 0, KL_TRANSPORT_TCP);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_TIMEOUT);
  g_assert_cmpuint (kl_test_dns_source_total (f->dns), ==, 1);
}

static void
test_a_malformed_answer_is_reported (Fixture *f, gconstpointer data)
{
  kl_test_dns_source_add (f->dns, "sip.test A MALFORMED");
  resolve (f, "sip.test", 5060, KL_TRANSPORT_UDP);
  g_assert_error (f->error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED);
}

static void
test_cancel_gives_cancelled_once (Fixture *f, gconstpointer data)
{
  KlDnsSource source = kl_test_dns_source_get (f->dns);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();

  add (f, two_servers);
  kl_test_dns_source_hold (f->dns, TRUE);
  kl_sip_resolve (&source, "test", 0, KL_TRANSPORT_TCP, 42, cancellable, on_resolved, f);
  g_assert_cmpuint (f->answers, ==, 0);
  g_cancellable_cancel (cancellable);
  kl_test_dns_source_release (f->dns);
  g_assert_cmpuint (f->answers, ==, 1);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* RFC 2782 order */

static GPtrArray *
srv_records (const char *const *lines)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);

  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto (GStrv) w = g_strsplit (lines[i], " ", -1);
    KlDnsRecord *record = g_new0 (KlDnsRecord, 1);

    record->name = g_strdup ("_sip._udp.test");
    record->type = KL_DNS_TYPE_SRV;
    record->priority = (guint16) atoi (w[0]);
    record->weight = (guint16) atoi (w[1]);
    record->port = 5060;
    record->target = g_strdup (w[2]);
    g_ptr_array_add (records, record);
  }
  return records;
}

static char *
order_of (GPtrArray *records)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < records->len; i++)
    g_string_append_printf (text, "%s%s", i ? " " : "", ((KlDnsRecord *) g_ptr_array_index (records, i))->target);
  return g_strdup (text->str);
}

static void
test_srv_order_is_the_same_for_the_same_records_in_any_order (void)
{
  static const char *const forward[] = { "10 60 a", "10 30 b", "10 10 c", "20 50 d", "20 50 e", NULL };
  static const char *const backward[] = { "20 50 e", "20 50 d", "10 10 c", "10 30 b", "10 60 a", NULL };

  for (guint32 seed = 0; seed < 50; seed++) {
    g_autoptr (GPtrArray) one = srv_records (forward);
    g_autoptr (GPtrArray) two = srv_records (backward);
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;

    kl_sip_order_srv (one, seed);
    kl_sip_order_srv (two, seed);
    first = order_of (one);
    second = order_of (two);
    g_assert_cmpstr (first, ==, second);
    /* priority 10 before 20 whatever the weights */
    g_assert_true (strchr ("abc", first[0]) && strchr ("abc", first[2]) && strchr ("abc", first[4]));
    g_assert_true (strchr ("de", first[6]) && strchr ("de", first[8]));
  }
}

static void
test_srv_weights_share_the_first_place_across_phones (void)
{
  static const char *const lines[] = { "10 60 a", "10 30 b", "10 10 c", NULL };
  guint first[3] = { 0 };
  const guint phones = 3000;

  for (guint32 seed = 0; seed < phones; seed++) {
    g_autoptr (GPtrArray) records = srv_records (lines);
    kl_sip_order_srv (records, seed * 2654435761u);
    first[((KlDnsRecord *) g_ptr_array_index (records, 0))->target[0] - 'a']++;
  }
  /* 60 %, 30 %, 10 %, within a few percent */
  g_assert_cmpuint (first[0], >, phones * 55 / 100);
  g_assert_cmpuint (first[0], <, phones * 65 / 100);
  g_assert_cmpuint (first[1], >, phones * 25 / 100);
  g_assert_cmpuint (first[1], <, phones * 35 / 100);
  g_assert_cmpuint (first[2], >, phones * 6 / 100);
  g_assert_cmpuint (first[2], <, phones * 14 / 100);
}

static void
test_srv_weight_zero_is_rarely_first (void)
{
  static const char *const lines[] = { "10 0 zero", "10 100 heavy", NULL };
  guint zero_first = 0;

  for (guint32 seed = 0; seed < 1000; seed++) {
    g_autoptr (GPtrArray) records = srv_records (lines);
    kl_sip_order_srv (records, seed * 2654435761u);
    zero_first += g_str_equal (((KlDnsRecord *) g_ptr_array_index (records, 0))->target, "zero");
  }
  /* RFC 2782: it wins only when the draw is exactly 0, 1 in 101 */
  g_assert_cmpuint (zero_first, <, 30);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/dns/sip/" path, Fixture, NULL, setup, func, teardown)
  ADD ("srv-priority-orders-primary-and-secondary", test_srv_priority_orders_primary_and_secondary);
  ADD ("ttl-is-the-smallest-of-the-records-used", test_ttl_is_the_smallest_of_the_records_used);
  ADD ("naptr-picks-the-record-of-the-transport", test_naptr_picks_the_record_of_the_transport);
  ADD ("naptr-order-and-preference-choose-among-records-of-one-transport",
       test_naptr_order_and_preference_choose_among_records_of_one_transport);
  ADD ("without-srv-the-name-itself-at-the-default-port", test_without_srv_the_name_itself_at_the_default_port);
  ADD ("a-port-means-no-naptr-and-no-srv", test_a_port_means_no_naptr_and_no_srv);
  ADD ("an-address-needs-no-lookup-and-never-expires", test_an_address_needs_no_lookup_and_never_expires);
  ADD ("ipv4-addresses-come-before-ipv6-of-each-host", test_ipv4_addresses_come_before_ipv6_of_each_host);
  ADD ("a-target-without-address-is-left-out", test_a_target_without_address_is_left_out);
  ADD ("a-target-without-an-answer-is-named", test_a_target_without_an_answer_is_named);
  ADD ("an-unanswered-aaaa-makes-the-answer-incomplete", test_an_unanswered_aaaa_makes_the_answer_incomplete);
  ADD ("fill-in-puts-back-what-a-lost-answer-left-out", test_fill_in_puts_back_what_a_lost_answer_left_out);
  ADD ("srv-dot-target-says-the-service-is-not-offered", test_srv_dot_target_says_the_service_is_not_offered);
  ADD ("a-name-with-no-records-is-not-found", test_a_name_with_no_records_is_not_found);
  ADD ("servfail-is-reported-rather-than-the-negative-answers-after-it",
       test_servfail_is_reported_rather_than_the_negative_answers_after_it);
  ADD ("servfail-on-naptr-alone-still-finds-the-srv", test_servfail_on_naptr_alone_still_finds_the_srv);
  ADD ("a-timeout-ends-the-procedure-at-once", test_a_timeout_ends_the_procedure_at_once);
  ADD ("a-malformed-answer-is-reported", test_a_malformed_answer_is_reported);
  ADD ("cancel-gives-cancelled-once", test_cancel_gives_cancelled_once);
#undef ADD
  g_test_add_func ("/dns/sip/srv-order-is-the-same-for-the-same-records-in-any-order",
                   test_srv_order_is_the_same_for_the_same_records_in_any_order);
  g_test_add_func ("/dns/sip/srv-weights-share-the-first-place-across-phones",
                   test_srv_weights_share_the_first_place_across_phones);
  g_test_add_func ("/dns/sip/srv-weight-zero-is-rarely-first", test_srv_weight_zero_is_rarely_first);
  return g_test_run ();
}
