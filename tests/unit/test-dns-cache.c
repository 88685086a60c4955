/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DNS cache on a fake clock: TTL expiry, TTL 0, the clamps, and
 * negative answers kept for the SOA minimum (RFC 2308). */
#include "kl-clock.h"
#include "kl-dns-cache.h"

typedef struct {
  KlClock *clock;
  KlDnsCache *cache;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->clock = kl_clock_new_fake (1);
  f->cache = kl_dns_cache_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kl_dns_cache_free (f->cache);
  kl_clock_unref (f->clock);
}

static KlDnsRecord *
a_record (const char *name, const char *address, guint32 ttl)
{
  KlDnsRecord *record = g_new0 (KlDnsRecord, 1);

  record->name = g_strdup (name);
  record->type = KL_DNS_TYPE_A;
  record->ttl = ttl;
  record->address = g_inet_address_new_from_string (address);
  return record;
}

static KlDnsRecord *
soa_record (guint32 ttl, guint32 minimum)
{
  KlDnsRecord *record = g_new0 (KlDnsRecord, 1);

  record->name = g_strdup ("test");
  record->type = KL_DNS_TYPE_SOA;
  record->ttl = ttl;
  record->soa_minimum = minimum;
  record->target = g_strdup ("ns.test");
  return record;
}

static void
put_a (Fixture *f, const char *name, guint32 ttl_one, guint32 ttl_two)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);

  g_ptr_array_add (records, a_record (name, "127.0.0.2", ttl_one));
  if (ttl_two > 0)
    g_ptr_array_add (records, a_record (name, "127.0.0.3", ttl_two));
  kl_dns_cache_put (f->cache, name, KL_DNS_TYPE_A, records, kl_clock_now_ms (f->clock));
}

/* The records kept, or NULL; ret_ttl the TTL they carry now. */
static GPtrArray *
lookup (Fixture *f, const char *name, KlDnsType type, GError **ret_error)
{
  GPtrArray *records = NULL;

  if (!kl_dns_cache_lookup (f->cache, name, type, kl_clock_now_ms (f->clock), &records, ret_error))
    return NULL;
  return records;
}

static gboolean
fresh (Fixture *f, const char *name, KlDnsType type)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;

  return kl_dns_cache_lookup (f->cache, name, type, kl_clock_now_ms (f->clock), &records, &error);
}

static void
test_answer_is_kept_for_its_ttl_then_expires (Fixture *f, gconstpointer data)
{
  put_a (f, "sip.test", 30, 0);
  g_assert_true (fresh (f, "sip.test", KL_DNS_TYPE_A));
  kl_clock_advance (f->clock, 29999);
  g_assert_true (fresh (f, "sip.test", KL_DNS_TYPE_A));
  kl_clock_advance (f->clock, 1);
  g_assert_false (fresh (f, "sip.test", KL_DNS_TYPE_A));
  g_assert_cmpuint (kl_dns_cache_get_size (f->cache), ==, 0);
}

static void
test_records_carry_the_seconds_left_as_ttl (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = NULL;

  put_a (f, "sip.test", 30, 0);
  kl_clock_advance (f->clock, 10500);
  records = lookup (f, "sip.test", KL_DNS_TYPE_A, NULL);
  g_assert_nonnull (records);
  g_assert_cmpuint (((KlDnsRecord *) g_ptr_array_index (records, 0))->ttl, ==, 19);
}

static void
test_the_smallest_ttl_of_the_records_rules (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = NULL;

  put_a (f, "sip.test", 300, 20);
  records = lookup (f, "sip.test", KL_DNS_TYPE_A, NULL);
  g_assert_cmpuint (records->len, ==, 2);
  kl_clock_advance (f->clock, 20000);
  g_assert_false (fresh (f, "sip.test", KL_DNS_TYPE_A));
}

static void
test_zero_ttl_removes_the_existing_entry_and_keeps_nothing (Fixture *f, gconstpointer data)
{
  put_a (f, "sip.test", 300, 0);
  g_assert_true (fresh (f, "sip.test", KL_DNS_TYPE_A));
  put_a (f, "sip.test", 0, 0);
  g_assert_false (fresh (f, "sip.test", KL_DNS_TYPE_A));
  g_assert_cmpuint (kl_dns_cache_get_size (f->cache), ==, 0);
}

static void
test_a_short_ttl_is_raised_to_the_minimum (Fixture *f, gconstpointer data)
{
  put_a (f, "sip.test", 1, 0);
  kl_clock_advance (f->clock, KL_DNS_CACHE_MIN_TTL_S * 1000 - 1);
  g_assert_true (fresh (f, "sip.test", KL_DNS_TYPE_A));
  kl_clock_advance (f->clock, 1);
  g_assert_false (fresh (f, "sip.test", KL_DNS_TYPE_A));
}

static void
test_a_huge_ttl_is_capped (Fixture *f, gconstpointer data)
{
  put_a (f, "sip.test", 0x7fffffff, 0);
  g_assert_cmpint (kl_dns_cache_next_expiry_ms (f->cache), ==,
                   kl_clock_now_ms (f->clock) + KL_DNS_CACHE_MAX_TTL_S * 1000);
}

static void
test_a_new_answer_replaces_the_old (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GPtrArray) fresh_records = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);
  g_autofree char *address = NULL;

  put_a (f, "sip.test", 30, 0);
  g_ptr_array_add (fresh_records, a_record ("sip.test", "127.0.0.9", 60));
  kl_dns_cache_put (f->cache, "sip.test", KL_DNS_TYPE_A, fresh_records, kl_clock_now_ms (f->clock));
  records = lookup (f, "sip.test", KL_DNS_TYPE_A, NULL);
  g_assert_cmpuint (records->len, ==, 1);
  address = g_inet_address_to_string (((KlDnsRecord *) g_ptr_array_index (records, 0))->address);
  g_assert_cmpstr (address, ==, "127.0.0.9");
}

static void
test_nxdomain_with_soa_is_kept_for_the_soa_minimum (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) negative = g_error_new_literal (KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND, "A x.test: no such name");
  g_autoptr (KlDnsRecord) soa = soa_record (3600, 60);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = NULL;

  kl_dns_cache_put_negative (f->cache, "x.test", KL_DNS_TYPE_A, negative, soa, kl_clock_now_ms (f->clock));
  records = lookup (f, "x.test", KL_DNS_TYPE_A, &error);
  g_assert_null (records);
  g_assert_error (error, KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "A x.test: no such name");
  kl_clock_advance (f->clock, 59999);
  g_assert_true (fresh (f, "x.test", KL_DNS_TYPE_A));
  kl_clock_advance (f->clock, 1);
  g_assert_false (fresh (f, "x.test", KL_DNS_TYPE_A));
}

static void
test_negative_ttl_is_the_smaller_of_the_soa_ttl_and_minimum (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) negative = g_error_new_literal (KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS, "no AAAA");
  g_autoptr (KlDnsRecord) soa = soa_record (20, 600);

  kl_dns_cache_put_negative (f->cache, "x.test", KL_DNS_TYPE_AAAA, negative, soa, kl_clock_now_ms (f->clock));
  kl_clock_advance (f->clock, 20000);
  g_assert_false (fresh (f, "x.test", KL_DNS_TYPE_AAAA));
}

static void
test_negative_ttl_is_capped_at_an_hour (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) negative = g_error_new_literal (KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND, "no such name");
  g_autoptr (KlDnsRecord) soa = soa_record (86400, 86400);

  kl_dns_cache_put_negative (f->cache, "x.test", KL_DNS_TYPE_A, negative, soa, kl_clock_now_ms (f->clock));
  g_assert_cmpint (kl_dns_cache_next_expiry_ms (f->cache), ==,
                   kl_clock_now_ms (f->clock) + KL_DNS_CACHE_MAX_NEGATIVE_TTL_S * 1000);
}

static void
test_negative_answer_without_soa_is_not_kept (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) negative = g_error_new_literal (KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND, "no such name");

  kl_dns_cache_put_negative (f->cache, "x.test", KL_DNS_TYPE_A, negative, NULL, kl_clock_now_ms (f->clock));
  g_assert_false (fresh (f, "x.test", KL_DNS_TYPE_A));
}

static void
test_server_failure_and_timeout_are_never_kept (Fixture *f, gconstpointer data)
{
  g_autoptr (KlDnsRecord) soa = soa_record (60, 60);
  const KlDnsError codes[] = { KL_DNS_ERROR_SERVER_FAILURE, KL_DNS_ERROR_TIMEOUT, KL_DNS_ERROR_MALFORMED,
                               KL_DNS_ERROR_TRUNCATED };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++) {
    g_autoptr (GError) failure = g_error_new_literal (KL_DNS_ERROR, codes[i], "failed");
    kl_dns_cache_put_negative (f->cache, "x.test", KL_DNS_TYPE_A, failure, soa, kl_clock_now_ms (f->clock));
  }
  g_assert_cmpuint (kl_dns_cache_get_size (f->cache), ==, 0);
}

static void
test_a_positive_answer_replaces_a_negative_one (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) negative = g_error_new_literal (KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND, "no such name");
  g_autoptr (KlDnsRecord) soa = soa_record (60, 60);
  g_autoptr (GPtrArray) records = NULL;

  kl_dns_cache_put_negative (f->cache, "sip.test", KL_DNS_TYPE_A, negative, soa, kl_clock_now_ms (f->clock));
  put_a (f, "sip.test", 30, 0);
  records = lookup (f, "sip.test", KL_DNS_TYPE_A, NULL);
  g_assert_nonnull (records);
}

static void
test_names_compare_without_case_and_types_apart (Fixture *f, gconstpointer data)
{
  put_a (f, "SIP.Test", 30, 0);
  g_assert_true (fresh (f, "sip.test", KL_DNS_TYPE_A));
  g_assert_false (fresh (f, "sip.test", KL_DNS_TYPE_AAAA));
}

static void
test_next_expiry_is_the_earliest_entry (Fixture *f, gconstpointer data)
{
  gint64 now = kl_clock_now_ms (f->clock);

  g_assert_cmpint (kl_dns_cache_next_expiry_ms (f->cache), ==, -1);
  put_a (f, "one.test", 300, 0);
  put_a (f, "two.test", 30, 0);
  put_a (f, "three.test", 3000, 0);
  g_assert_cmpint (kl_dns_cache_next_expiry_ms (f->cache), ==, now + 30000);
  kl_clock_advance (f->clock, 30000);
  g_assert_cmpuint (kl_dns_cache_expire (f->cache, kl_clock_now_ms (f->clock)), ==, 1);
  g_assert_cmpint (kl_dns_cache_next_expiry_ms (f->cache), ==, now + 300000);
}

static void
test_a_full_cache_drops_the_entry_expiring_first (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < KL_DNS_CACHE_MAX_ENTRIES; i++) {
    g_autofree char *name = g_strdup_printf ("host%u.test", i);
    put_a (f, name, i == 7 ? 10 : 600, 0);
  }
  g_assert_cmpuint (kl_dns_cache_get_size (f->cache), ==, KL_DNS_CACHE_MAX_ENTRIES);
  put_a (f, "new.test", 600, 0);
  g_assert_cmpuint (kl_dns_cache_get_size (f->cache), ==, KL_DNS_CACHE_MAX_ENTRIES);
  g_assert_false (fresh (f, "host7.test", KL_DNS_TYPE_A));
  g_assert_true (fresh (f, "new.test", KL_DNS_TYPE_A));
  g_assert_true (fresh (f, "host8.test", KL_DNS_TYPE_A));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/dns/cache/" path, Fixture, NULL, setup, func, teardown)
  ADD ("answer-is-kept-for-its-ttl-then-expires", test_answer_is_kept_for_its_ttl_then_expires);
  ADD ("records-carry-the-seconds-left-as-ttl", test_records_carry_the_seconds_left_as_ttl);
  ADD ("the-smallest-ttl-of-the-records-rules", test_the_smallest_ttl_of_the_records_rules);
  ADD ("zero-ttl-removes-the-existing-entry-and-keeps-nothing",
       test_zero_ttl_removes_the_existing_entry_and_keeps_nothing);
  ADD ("a-short-ttl-is-raised-to-the-minimum", test_a_short_ttl_is_raised_to_the_minimum);
  ADD ("a-huge-ttl-is-capped", test_a_huge_ttl_is_capped);
  ADD ("a-new-answer-replaces-the-old", test_a_new_answer_replaces_the_old);
  ADD ("nxdomain-with-soa-is-kept-for-the-soa-minimum", test_nxdomain_with_soa_is_kept_for_the_soa_minimum);
  ADD ("negative-ttl-is-the-smaller-of-the-soa-ttl-and-minimum",
       test_negative_ttl_is_the_smaller_of_the_soa_ttl_and_minimum);
  ADD ("negative-ttl-is-capped-at-an-hour", test_negative_ttl_is_capped_at_an_hour);
  ADD ("negative-answer-without-soa-is-not-kept", test_negative_answer_without_soa_is_not_kept);
  ADD ("server-failure-and-timeout-are-never-kept", test_server_failure_and_timeout_are_never_kept);
  ADD ("a-positive-answer-replaces-a-negative-one", test_a_positive_answer_replaces_a_negative_one);
  ADD ("names-compare-without-case-and-types-apart", test_names_compare_without_case_and_types_apart);
  ADD ("next-expiry-is-the-earliest-entry", test_next_expiry_is_the_earliest_entry);
  ADD ("a-full-cache-drops-the-entry-expiring-first", test_a_full_cache_drops_the_entry_expiring_first);
#undef ADD
  return g_test_run ();
}
