/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The servers netmond watches, on a fake clock against a scripted record
 * source: resolved again when the TTL runs out, a change reported, a failure
 * keeping the last good targets and tried again with back-off. */
#include "kl-test-dns-source.h"
#include "netmond-servers.h"

typedef struct {
  KlClock *clock;
  KlTestDnsSource *dns;
  NetmondServers *servers;
  guint changes;
  guint target_changes;
  NetmondServerState last_state;
} Fixture;

static const NetmondServerId sip_tcp = { "keepline.test", 0, KL_TRANSPORT_TCP };

static void
on_changed (NetmondServers *servers, const NetmondServer *server, gboolean targets_changed, gpointer user_data)
{
  Fixture *f = user_data;

  f->changes++;
  f->target_changes += targets_changed;
  f->last_state = server->state;
}

static void
setup (Fixture *f, gconstpointer data)
{
  KlDnsSource source;

  f->clock = kl_clock_new_fake (1);
  f->dns = kl_test_dns_source_new ();
  source = kl_test_dns_source_get (f->dns);
  f->servers = netmond_servers_new (f->clock, &source, 7, on_changed, f);
  kl_test_dns_source_add (f->dns, "_sip._tcp.keepline.test 60 SRV 10 0 5060 sip1.keepline.test");
  kl_test_dns_source_add (f->dns, "_sip._tcp.keepline.test 60 SRV 20 0 5060 sip2.keepline.test");
  kl_test_dns_source_add (f->dns, "sip2.keepline.test 60 A 127.0.0.3");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  netmond_servers_free (f->servers);
  kl_test_dns_source_free (f->dns);
  kl_clock_unref (f->clock);
}

static void
set_sip1 (Fixture *f, const char *address)
{
  g_autofree char *line = g_strdup_printf ("sip1.keepline.test 5 A %s", address);

  kl_test_dns_source_clear (f->dns);
  kl_test_dns_source_add (f->dns, "_sip._tcp.keepline.test 60 SRV 10 0 5060 sip1.keepline.test");
  kl_test_dns_source_add (f->dns, "_sip._tcp.keepline.test 60 SRV 20 0 5060 sip2.keepline.test");
  kl_test_dns_source_add (f->dns, "sip2.keepline.test 60 A 127.0.0.3");
  kl_test_dns_source_add (f->dns, line);
}

static const NetmondServer *
the_server (Fixture *f)
{
  g_autoptr (GPtrArray) all = netmond_servers_get_all (f->servers);

  g_assert_cmpuint (all->len, ==, 1);
  return g_ptr_array_index (all, 0);
}

static char *
first_target (const NetmondServer *server)
{
  const KlSipTarget *target;

  g_assert_nonnull (server->targets);
  target = g_ptr_array_index (server->targets->targets, 0);
  return g_inet_address_to_string (target->address);
}

static void
watch (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (netmond_servers_set_watched (f->servers, ":1.5", &sip_tcp, 1, &error));
  g_assert_no_error (error);
}

static void
test_a_watched_server_is_resolved_at_once (Fixture *f, gconstpointer data)
{
  g_autofree char *first = NULL;

  set_sip1 (f, "127.0.0.2");
  watch (f);
  g_assert_cmpuint (f->target_changes, ==, 1);
  g_assert_cmpint (the_server (f)->state, ==, NETMOND_SERVER_STATE_RESOLVED);
  first = first_target (the_server (f));
  g_assert_cmpstr (first, ==, "127.0.0.2");
  g_assert_cmpuint (the_server (f)->targets->targets->len, ==, 2);
  /* the A record's 5 s rule */
  g_assert_cmpint (the_server (f)->next_try_ms, ==, kl_clock_now_ms (f->clock) + 5000);
}

static void
test_a_changed_answer_is_reported_when_the_ttl_runs_out (Fixture *f, gconstpointer data)
{
  g_autofree char *first = NULL;

  set_sip1 (f, "127.0.0.2");
  watch (f);
  set_sip1 (f, "127.0.0.4");
  kl_clock_advance (f->clock, 4999);
  g_assert_cmpuint (f->target_changes, ==, 1);
  kl_clock_advance (f->clock, 1);
  g_assert_cmpuint (f->target_changes, ==, 2);
  first = first_target (the_server (f));
  g_assert_cmpstr (first, ==, "127.0.0.4");
}

static void
test_the_same_answer_is_not_a_change (Fixture *f, gconstpointer data)
{
  set_sip1 (f, "127.0.0.2");
  watch (f);
  kl_clock_advance (f->clock, 5000);
  kl_clock_advance (f->clock, 5000);
  g_assert_cmpuint (f->changes, ==, 3);
  g_assert_cmpuint (f->target_changes, ==, 1);
  g_assert_cmpuint (kl_test_dns_source_count (f->dns, "A", "sip1.keepline.test"), ==, 3);
}

static void
test_a_failure_keeps_the_last_good_targets (Fixture *f, gconstpointer data)
{
  g_autofree char *first = NULL;

  set_sip1 (f, "127.0.0.2");
  watch (f);
  kl_test_dns_source_clear (f->dns);
  kl_test_dns_source_add (f->dns, "keepline.test NAPTR SERVFAIL");
  kl_test_dns_source_add (f->dns, "_sip._tcp.keepline.test SRV SERVFAIL");
  kl_clock_advance (f->clock, 5000);
  g_assert_cmpint (f->last_state, ==, NETMOND_SERVER_STATE_FAILED);
  g_assert_error (the_server (f)->error, KL_DNS_ERROR, KL_DNS_ERROR_SERVER_FAILURE);
  g_assert_cmpuint (f->target_changes, ==, 1);
  first = first_target (the_server (f));
  g_assert_cmpstr (first, ==, "127.0.0.2");
}

static void
test_failures_are_tried_again_with_back_off (Fixture *f, gconstpointer data)
{
  const guint expected_s[] = { 5, 10, 20, 40, 80, 160, 300, 300 };

  kl_test_dns_source_add (f->dns, "keepline.test NAPTR TIMEOUT");
  watch (f);
  g_assert_cmpint (f->last_state, ==, NETMOND_SERVER_STATE_FAILED);
  g_assert_null (the_server (f)->targets);
  for (guint i = 0; i < G_N_ELEMENTS (expected_s); i++) {
    guint before = kl_test_dns_source_total (f->dns);
    g_assert_cmpint (the_server (f)->next_try_ms - kl_clock_now_ms (f->clock), ==, expected_s[i] * 1000);
    kl_clock_advance (f->clock, expected_s[i] * 1000 - 1);
    g_assert_cmpuint (kl_test_dns_source_total (f->dns), ==, before);
    kl_clock_advance (f->clock, 1);
    g_assert_cmpuint (kl_test_dns_source_total (f->dns), ==, before + 1);
  }
}

/* sip2's A answer is lost: sip2 stays as the last answer had it, and the
 * name is asked again after 5 s, 10 s, … but never later than its TTL,
 * until every lookup answers; then the TTL alone counts again. */
static void
test_an_incomplete_answer_keeps_what_it_left_out_and_is_asked_again (Fixture *f, gconstpointer data)
{
  const guint expected_s[] = { 5, 10, 20, 40, 60, 60 };
  const char *const records[] = {
    "_sip._tcp.keepline.test 60 SRV 10 0 5060 sip1.keepline.test",
    "_sip._tcp.keepline.test 60 SRV 20 0 5060 sip2.keepline.test",
    "sip1.keepline.test 60 A 127.0.0.2",
  };
  g_autofree char *text = NULL;

  kl_test_dns_source_clear (f->dns);
  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    kl_test_dns_source_add (f->dns, records[i]);
  kl_test_dns_source_add (f->dns, "sip2.keepline.test 60 A 127.0.0.3");
  watch (f);
  kl_test_dns_source_clear (f->dns);
  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    kl_test_dns_source_add (f->dns, records[i]);
  kl_test_dns_source_add (f->dns, "sip2.keepline.test A TIMEOUT");
  kl_clock_advance (f->clock, 60 * 1000);

  for (guint i = 0; i < G_N_ELEMENTS (expected_s); i++) {
    g_clear_pointer (&text, g_free);
    text = kl_sip_targets_to_string (the_server (f)->targets);
    g_assert_cmpstr (text, ==, "127.0.0.2:5060, 127.0.0.3:5060");
    g_assert_cmpint (f->last_state, ==, NETMOND_SERVER_STATE_RESOLVED);
    g_assert_nonnull (the_server (f)->targets->incomplete);
    g_assert_cmpint (the_server (f)->next_try_ms - kl_clock_now_ms (f->clock), ==, expected_s[i] * 1000);
    kl_clock_advance (f->clock, expected_s[i] * 1000);
  }
  g_assert_cmpuint (f->target_changes, ==, 1);

  kl_test_dns_source_clear (f->dns);
  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    kl_test_dns_source_add (f->dns, records[i]);
  kl_test_dns_source_add (f->dns, "sip2.keepline.test 60 A 127.0.0.3");
  kl_clock_advance (f->clock, 60 * 1000);
  g_assert_null (the_server (f)->targets->incomplete);
  g_assert_cmpint (the_server (f)->next_try_ms - kl_clock_now_ms (f->clock), ==, 60 * 1000);
}

static void
test_retry_now_tries_a_failed_server_at_once (Fixture *f, gconstpointer data)
{
  kl_test_dns_source_add (f->dns, "keepline.test NAPTR TIMEOUT");
  watch (f);
  g_assert_cmpint (f->last_state, ==, NETMOND_SERVER_STATE_FAILED);
  set_sip1 (f, "127.0.0.2");
  netmond_servers_retry_now (f->servers);
  g_assert_cmpint (f->last_state, ==, NETMOND_SERVER_STATE_RESOLVED);
}

static void
on_resolve_answer (const KlSipTargets *targets, const GError *error, gpointer user_data)
{
  *(char **) user_data = targets ? g_strdup (((KlSipTarget *) g_ptr_array_index (targets->targets, 0))->host)
                                 : g_strdup (error->message);
}

static void
test_resolve_gives_a_watched_server_its_last_good_answer_without_asking (Fixture *f, gconstpointer data)
{
  g_autofree char *answer = NULL;
  guint asked;

  set_sip1 (f, "127.0.0.2");
  watch (f);
  asked = kl_test_dns_source_total (f->dns);
  kl_test_dns_source_clear (f->dns);
  netmond_servers_resolve (f->servers, "KEEPLINE.test", 0, KL_TRANSPORT_TCP, on_resolve_answer, &answer);
  g_assert_cmpstr (answer, ==, "sip1.keepline.test");
  g_assert_cmpuint (kl_test_dns_source_total (f->dns), ==, asked);
}

static void
test_resolve_of_an_unwatched_server_asks_and_keeps_nothing (Fixture *f, gconstpointer data)
{
  g_autofree char *answer = NULL;
  g_autoptr (GPtrArray) all = NULL;

  set_sip1 (f, "127.0.0.2");
  netmond_servers_resolve (f->servers, "keepline.test", 0, KL_TRANSPORT_TCP, on_resolve_answer, &answer);
  g_assert_cmpstr (answer, ==, "sip1.keepline.test");
  all = netmond_servers_get_all (f->servers);
  g_assert_cmpuint (all->len, ==, 0);
}

static void
test_resolve_of_a_server_never_resolved_reports_the_error (Fixture *f, gconstpointer data)
{
  g_autofree char *answer = NULL;

  kl_test_dns_source_clear (f->dns);
  watch (f);
  netmond_servers_resolve (f->servers, "keepline.test", 0, KL_TRANSPORT_TCP, on_resolve_answer, &answer);
  g_assert_cmpstr (answer, ==, "A keepline.test: no such name");
}

static void
test_a_new_set_drops_what_no_watcher_wants (Fixture *f, gconstpointer data)
{
  const NetmondServerId other = { "127.0.0.9", 5060, KL_TRANSPORT_UDP };
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) after = NULL;

  set_sip1 (f, "127.0.0.2");
  watch (f);
  g_assert_true (netmond_servers_set_watched (f->servers, ":1.6", &sip_tcp, 1, NULL));
  g_assert_true (netmond_servers_set_watched (f->servers, ":1.5", &other, 1, NULL));
  all = netmond_servers_get_all (f->servers);
  g_assert_cmpuint (all->len, ==, 2);
  netmond_servers_drop_watcher (f->servers, ":1.6");
  g_assert_false (netmond_servers_has_watcher (f->servers, ":1.6"));
  after = netmond_servers_get_all (f->servers);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpstr (((NetmondServer *) g_ptr_array_index (after, 0))->host, ==, "127.0.0.9");
  /* an address is never asked for again */
  g_assert_cmpint (((NetmondServer *) g_ptr_array_index (after, 0))->next_try_ms, ==, -1);
}

static void
test_too_many_servers_are_refused_and_nothing_changes (Fixture *f, gconstpointer data)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (NetmondServerId));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;

  watch (f);
  for (guint i = 0; i < NETMOND_SERVERS_MAX; i++) {
    char *name = g_strdup_printf ("127.0.1.%u", i);
    NetmondServerId id = { name, 5060, KL_TRANSPORT_UDP };
    g_ptr_array_add (names, name);
    g_array_append_val (ids, id);
  }
  g_assert_false (netmond_servers_set_watched (f->servers, ":1.7", (NetmondServerId *) ids->data, ids->len, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  all = netmond_servers_get_all (f->servers);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_false (netmond_servers_has_watcher (f->servers, ":1.7"));
}

static void
test_too_many_watchers_are_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < NETMOND_SERVERS_MAX_WATCHERS; i++) {
    g_autofree char *watcher = g_strdup_printf (":1.%u", 100 + i);
    g_assert_true (netmond_servers_set_watched (f->servers, watcher, NULL, 0, NULL));
  }
  g_assert_false (netmond_servers_set_watched (f->servers, ":1.99", NULL, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_false (netmond_servers_has_watcher (f->servers, ":1.99"));
  /* one already watching may change its set */
  g_assert_true (netmond_servers_set_watched (f->servers, ":1.100", NULL, 0, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/netmond/servers/" path, Fixture, NULL, setup, func, teardown)
  ADD ("a-watched-server-is-resolved-at-once", test_a_watched_server_is_resolved_at_once);
  ADD ("a-changed-answer-is-reported-when-the-ttl-runs-out", test_a_changed_answer_is_reported_when_the_ttl_runs_out);
  ADD ("the-same-answer-is-not-a-change", test_the_same_answer_is_not_a_change);
  ADD ("a-failure-keeps-the-last-good-targets", test_a_failure_keeps_the_last_good_targets);
  ADD ("an-incomplete-answer-keeps-what-it-left-out-and-is-asked-again",
       test_an_incomplete_answer_keeps_what_it_left_out_and_is_asked_again);
  ADD ("failures-are-tried-again-with-back-off", test_failures_are_tried_again_with_back_off);
  ADD ("retry-now-tries-a-failed-server-at-once", test_retry_now_tries_a_failed_server_at_once);
  ADD ("resolve-gives-a-watched-server-its-last-good-answer-without-asking",
       test_resolve_gives_a_watched_server_its_last_good_answer_without_asking);
  ADD ("resolve-of-an-unwatched-server-asks-and-keeps-nothing",
       test_resolve_of_an_unwatched_server_asks_and_keeps_nothing);
  ADD ("resolve-of-a-server-never-resolved-reports-the-error",
       test_resolve_of_a_server_never_resolved_reports_the_error);
  ADD ("a-new-set-drops-what-no-watcher-wants", test_a_new_set_drops_what_no_watcher_wants);
  ADD ("too-many-servers-are-refused-and-nothing-changes", test_too_many_servers_are_refused_and_nothing_changes);
  ADD ("too-many-watchers-are-refused", test_too_many_watchers_are_refused);
#undef ADD
  return g_test_run ();
}
