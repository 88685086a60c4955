/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phone configuration loader: every key, per-line overrides, the order of the
 * four files, and each kind of bad value. */
#include <glib/gstdio.h>
#include <string.h>

#include "kl-config.h"
#include "kl-test-bus.h"

/* Helpers */

static KlConfig *
parse_text (const char *text, GPtrArray *diagnostics)
{
  KlConfig *config = kl_config_new (NULL);

  kl_config_parse_data (config, "test.cfg", text, strlen (text), diagnostics);
  return config;
}

static GPtrArray *
diagnostics_of (const char *text)
{
  GPtrArray *diagnostics = kl_config_diagnostics_new ();

  kl_config_unref (parse_text (text, diagnostics));
  return diagnostics;
}

static const KlConfigDiagnostic *
only_diagnostic (GPtrArray *diagnostics)
{
  if (diagnostics->len != 1) {
    for (guint i = 0; i < diagnostics->len; i++) {
      g_autofree char *text = kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, i));
      g_test_message ("diagnostic: %s", text);
    }
  }
  g_assert_cmpuint (diagnostics->len, ==, 1);
  return g_ptr_array_index (diagnostics, 0);
}

/* The key table */

static void
test_every_default_is_valid_and_in_range (void)
{
  g_autoptr (KlConfig) config = kl_config_new (NULL);

  for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
    const KlConfigKeyInfo *info = kl_config_key_info (key);
    g_assert_nonnull (info->name);
    g_assert_nonnull (info->summary);
    g_assert_false (kl_config_is_set (config, 0, key));
    if (info->type == KL_CONFIG_TYPE_INT) {
      gint64 value = kl_config_get_int (config, 0, key);
      g_assert_cmpint (value, >=, info->min);
      g_assert_cmpint (value, <=, info->max);
    }
  }
}

static void
test_every_per_line_key_has_a_line_form (void)
{
  for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
    const KlConfigKeyInfo *info = kl_config_key_info (key);
    g_autofree char *name = NULL;
    KlConfigKey found;

    if (info->scope != KL_CONFIG_SCOPE_LINE)
      continue;
    g_assert_true (g_str_has_prefix (info->name, "sip "));
    name = kl_config_line_key_name (key, 7);
    g_assert_true (g_str_has_prefix (name, "sip line7 "));
    g_assert_true (kl_config_key_lookup (info->name, &found));
    g_assert_cmpint (found, ==, key);
  }
}

static void
test_guide_defaults (void)
{
  g_autoptr (KlConfig) config = kl_config_new (NULL);

  g_assert_false (kl_config_get_bool (config, 1, KL_CONFIG_KEY_OUTBOUND_SUPPORT));
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_TRANSPORT_PROTOCOL), ==, 1);
  g_assert_false (kl_config_get_bool (config, 0, KL_CONFIG_KEY_PERSISTENT_TLS));
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY_PORT), ==, 0);
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_REGISTRATION_RENEWAL_TIMER), ==, 15);
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_REGISTRATION_RETRY_TIMER), ==, 1800);
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_REGISTRATION_TIMEOUT_RETRY_TIMER), ==, 120);
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_BLF_SUBSCRIPTION_PERIOD), ==, 3600);
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_T1_TIMER), ==, 500);
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_T2_TIMER), ==, 4000);
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_TRANSACTION_TIMER), ==, 4000);
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_TIMER_SCALE_PERCENT), ==, 100);
  g_assert_false (kl_config_get_bool (config, 1, KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW));
  g_assert_false (kl_config_get_server (config, 1, KL_CONFIG_KEY_PROXY_IP, KL_CONFIG_KEY_PROXY_PORT,
                                        NULL, NULL));
  for (guint line = 1; line <= KL_CONFIG_MAX_LINES; line++)
    g_assert_false (kl_config_line_in_use (config, line));
}

/* One valid value per key, written globally, read back through the typed accessor. */
typedef struct {
  KlConfigKey key;
  const char *text;
  const char *expect_text;
  gint64 expect_number;
} KeyCase;

static const KeyCase key_cases[] = {
  { KL_CONFIG_KEY_OUTBOUND_SUPPORT, "1", "1", 1 },
  { KL_CONFIG_KEY_TRANSPORT_PROTOCOL, "4", "4", 4 },
  { KL_CONFIG_KEY_PERSISTENT_TLS, "1", "1", 1 },
  { KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE, "30", "30", 30 },
  { KL_CONFIG_KEY_SYMMETRIC_UDP_SIGNALING, "0", "0", 0 },
  { KL_CONFIG_KEY_LOCAL_PORT, "15060", "15060", 15060 },
  { KL_CONFIG_KEY_LOCAL_TLS_PORT, "0", "0", 0 },
  { KL_CONFIG_KEY_OUTBOUND_KEEP_ALIVE_TIMER, "10", "10", 10 },
  { KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW, "1", "1", 1 },
  { KL_CONFIG_KEY_OUTBOUND_SUSPECT_FLOOR, "2500", "2500", 2500 },
  { KL_CONFIG_KEY_USER_NAME, "1001", "1001", 0 },
  { KL_CONFIG_KEY_AUTH_NAME, "auth-1001", "auth-1001", 0 },
  { KL_CONFIG_KEY_PASSWORD, "p:a#ss", "p:a#ss", 0 },
  { KL_CONFIG_KEY_DISPLAY_NAME, "Front Desk", "Front Desk", 0 },
  { KL_CONFIG_KEY_SCREEN_NAME, "Desk", "Desk", 0 },
  { KL_CONFIG_KEY_PROXY_IP, "pbx.example.com", "pbx.example.com", 0 },
  { KL_CONFIG_KEY_PROXY_PORT, "5060", "5060", 5060 },
  { KL_CONFIG_KEY_REGISTRAR_IP, "192.0.2.10", "192.0.2.10", 0 },
  { KL_CONFIG_KEY_REGISTRAR_PORT, "5070", "5070", 5070 },
  { KL_CONFIG_KEY_OUTBOUND_PROXY, "2001:db8::1", "2001:db8::1", 0 },
  { KL_CONFIG_KEY_OUTBOUND_PROXY_PORT, "5080", "5080", 5080 },
  { KL_CONFIG_KEY_BACKUP_PROXY_IP, "[2001:db8::2]", "2001:db8::2", 0 },
  { KL_CONFIG_KEY_BACKUP_PROXY_PORT, "65535", "65535", 65535 },
  { KL_CONFIG_KEY_BACKUP_REGISTRAR_IP, "backup.example.com", "backup.example.com", 0 },
  { KL_CONFIG_KEY_BACKUP_REGISTRAR_PORT, "0", "0", 0 },
  { KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY, "obp2.example.com", "obp2.example.com", 0 },
  { KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY_PORT, "5090", "5090", 5090 },
  { KL_CONFIG_KEY_REGISTRATION_PERIOD, "600", "600", 600 },
  { KL_CONFIG_KEY_REGISTRATION_RENEWAL_TIMER, "30", "30", 30 },
  { KL_CONFIG_KEY_REGISTRATION_RETRY_TIMER, "30", "30", 30 },
  { KL_CONFIG_KEY_REGISTRATION_TIMEOUT_RETRY_TIMER, "45", "45", 45 },
  { KL_CONFIG_KEY_SUBSCRIPTION_TIMEOUT_RETRY_TIMER, "60", "60", 60 },
  { KL_CONFIG_KEY_SUBSCRIPTION_FAILED_RETRY_TIMER, "90", "90", 90 },
  { KL_CONFIG_KEY_BLF_SUBSCRIPTION_PERIOD, "300", "300", 300 },
  { KL_CONFIG_KEY_BLF_EXTENSIONS, " 1002 , 1003,,1004 ", "1002,1003,1004", 0 },
  { KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION, "1", "1", 1 },
  { KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION_PERIOD, "3600", "3600", 3600 },
  { KL_CONFIG_KEY_T1_TIMER, "250", "250", 250 },
  { KL_CONFIG_KEY_T2_TIMER, "2000", "2000", 2000 },
  { KL_CONFIG_KEY_TRANSACTION_TIMER, "8000", "8000", 8000 },
  { KL_CONFIG_KEY_TIMER_SCALE_PERCENT, "10", "10", 10 },
  { KL_CONFIG_KEY_RING_TIMEOUT, "60", "60", 60 },
  { KL_CONFIG_KEY_TLS_PRIORITY, "NORMAL:-VERS-TLS1.0", "NORMAL:-VERS-TLS1.0", 0 },
  { KL_CONFIG_KEY_CALL_WAITING, "0", "0", 0 },
  { KL_CONFIG_KEY_DNS_SERVER, "127.0.0.53:5353", "127.0.0.53:5353", 0 },
  { KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES, "/etc/keepline/ca.pem", "/etc/keepline/ca.pem", 0 },
  { KL_CONFIG_KEY_TLS_ROOT_AND_INTERMEDIATE_CERTIFICATES, "/etc/keepline/chain.pem",
    "/etc/keepline/chain.pem", 0 },
  { KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE, "/etc/keepline/phone.pem", "/etc/keepline/phone.pem", 0 },
  { KL_CONFIG_KEY_TLS_PRIVATE_KEY, "/etc/keepline/phone.key", "/etc/keepline/phone.key", 0 },
  { KL_CONFIG_KEY_TLS_REVOCATION_LIST, "/etc/keepline/crl.pem", "/etc/keepline/crl.pem", 0 },
  { KL_CONFIG_KEY_KEEP_ALIVE_OPTIONS_INTERVAL, "15", "15", 15 },
};

static void
test_every_key_reads_back_through_its_accessor (void)
{
  gboolean covered[KL_CONFIG_N_KEYS] = { FALSE };

  for (guint i = 0; i < G_N_ELEMENTS (key_cases); i++) {
    const KeyCase *c = &key_cases[i];
    const KlConfigKeyInfo *info = kl_config_key_info (c->key);
    g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
    g_autofree char *text = g_strdup_printf ("%s: %s\n", info->name, c->text);
    g_autoptr (KlConfig) config = parse_text (text, diagnostics);
    guint line = info->scope == KL_CONFIG_SCOPE_LINE ? 3 : 0;

    g_test_message ("key '%s'", info->name);
    g_assert_cmpuint (diagnostics->len, ==, 0);
    g_assert_true (kl_config_is_set (config, line, c->key));
    g_assert_cmpstr (kl_config_get_string (config, line, c->key), ==, c->expect_text);
    switch (info->type) {
    case KL_CONFIG_TYPE_BOOL:
      g_assert_cmpint (kl_config_get_bool (config, line, c->key), ==, c->expect_number);
      break;
    case KL_CONFIG_TYPE_INT:
    case KL_CONFIG_TYPE_PORT:
    case KL_CONFIG_TYPE_TRANSPORT:
      g_assert_cmpint (kl_config_get_int (config, line, c->key), ==, c->expect_number);
      break;
    case KL_CONFIG_TYPE_LIST: {
      g_auto (GStrv) words = kl_config_get_list (config, line, c->key);
      g_assert_cmpuint (g_strv_length (words), ==, 3);
      g_assert_cmpstr (words[2], ==, "1004");
      break;
    }
    case KL_CONFIG_TYPE_HOST_PORT: {
      g_autofree char *host = NULL;
      guint16 port = 0;
      g_assert_true (kl_config_get_address (config, c->key, &host, &port));
      g_assert_cmpstr (host, ==, "127.0.0.53");
      g_assert_cmpuint (port, ==, 5353);
      break;
    }
    case KL_CONFIG_TYPE_STRING:
    case KL_CONFIG_TYPE_SECRET:
    case KL_CONFIG_TYPE_HOST:
    case KL_CONFIG_TYPE_PATH:
      break;
    }
    covered[c->key] = TRUE;
  }
  for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
    if (!covered[key])
      g_error ("no test case for '%s'", kl_config_key_info (key)->name);
  }
}

/* Syntax */

static void
test_keys_match_without_case_or_repeated_spaces (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("  SIP   Outbound\tSupport :1\n"
                                            "Sip LINE2  Proxy IP:   pbx.example.com   \n",
                                            diagnostics);

  g_assert_cmpuint (diagnostics->len, ==, 0);
  g_assert_true (kl_config_get_bool (config, 1, KL_CONFIG_KEY_OUTBOUND_SUPPORT));
  g_assert_cmpstr (kl_config_get_string (config, 2, KL_CONFIG_KEY_PROXY_IP), ==, "pbx.example.com");
}

static void
test_comments_blank_lines_and_crlf_are_ignored (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("# a comment: with a colon\r\n"
                                            "\r\n"
                                            "   \t\n"
                                            "   # indented comment\n"
                                            "sip screen name: Desk 4  # trailing comment\r\n"
                                            "sip password: ab#cd\n"
                                            "sip display name: \"Room # 3 \"  # quoted\n",
                                            diagnostics);

  g_assert_cmpuint (diagnostics->len, ==, 0);
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_SCREEN_NAME), ==, "Desk 4");
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_PASSWORD), ==, "ab#cd");
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_DISPLAY_NAME), ==, "Room # 3 ");
}

static void
test_values_keep_their_colons (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy ip: fe80::1:2\n"
                                            "sip display name: sip:desk@example.com\n"
                                            "sip dns server: [::1]:5353\n"
                                            "sip line2 screen name: a:b:c\n",
                                            diagnostics);
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_assert_cmpuint (diagnostics->len, ==, 0);
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_PROXY_IP), ==, "fe80::1:2");
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_DISPLAY_NAME), ==,
                   "sip:desk@example.com");
  g_assert_cmpstr (kl_config_get_string (config, 2, KL_CONFIG_KEY_SCREEN_NAME), ==, "a:b:c");
  g_assert_true (kl_config_get_address (config, KL_CONFIG_KEY_DNS_SERVER, &host, &port));
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (port, ==, 5353);
}

static void
test_dns_server_forms (void)
{
  static const struct {
    const char *text;
    const char *host;
    guint16 port;
  } cases[] = {
    { "127.0.0.1", "127.0.0.1", 0 },
    { "127.0.0.1:53", "127.0.0.1", 53 },
    { "2001:db8::53", "2001:db8::53", 0 },
    { "[2001:db8::53]", "2001:db8::53", 0 },
    { "[2001:db8::53]:5353", "2001:db8::53", 5353 },
    { "ns.example.com:5300", "ns.example.com", 5300 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *host = NULL;
    g_autofree char *reason = NULL;
    guint16 port = 1;

    g_assert_true (kl_config_parse_host_port (cases[i].text, &host, &port, &reason));
    g_assert_cmpstr (host, ==, cases[i].host);
    g_assert_cmpuint (port, ==, cases[i].port);
  }
}

static void
test_zero_address_means_not_set (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip backup proxy ip: 0.0.0.0\n", diagnostics);

  g_assert_cmpuint (diagnostics->len, ==, 0);
  g_assert_false (kl_config_get_server (config, 1, KL_CONFIG_KEY_BACKUP_PROXY_IP,
                                        KL_CONFIG_KEY_BACKUP_PROXY_PORT, NULL, NULL));
}

static void
test_later_line_of_one_file_wins (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip registration period: 600\n"
                                            "sip registration period: 900\n",
                                            diagnostics);

  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_REGISTRATION_PERIOD), ==, 900);
}

/* Per-line overrides */

static void
test_line_key_overrides_global_for_that_line_only (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy ip: pbx.example.com\n"
                                            "sip proxy port: 5060\n"
                                            "sip line2 proxy ip: other.example.com\n"
                                            "sip line9 proxy port: 5070\n",
                                            diagnostics);
  const char *host;
  guint16 port;

  g_assert_cmpuint (diagnostics->len, ==, 0);
  for (guint line = 1; line <= KL_CONFIG_MAX_LINES; line++) {
    g_assert_true (kl_config_get_server (config, line, KL_CONFIG_KEY_PROXY_IP,
                                         KL_CONFIG_KEY_PROXY_PORT, &host, &port));
    g_assert_cmpstr (host, ==, line == 2 ? "other.example.com" : "pbx.example.com");
    g_assert_cmpuint (port, ==, line == 9 ? 5070 : 5060);
  }
  g_assert_true (kl_config_is_set (config, 2, KL_CONFIG_KEY_PROXY_IP));
  g_assert_true (kl_config_is_set (config, 3, KL_CONFIG_KEY_PROXY_IP)); /* through the global key */
  g_assert_false (kl_config_is_set (config, 3, KL_CONFIG_KEY_BACKUP_PROXY_IP));
}

static void
test_line_key_overrides_global_whatever_their_order (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip line1 registration period: 120\n"
                                            "sip registration period: 7200\n",
                                            diagnostics);

  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_REGISTRATION_PERIOD), ==, 120);
  g_assert_cmpint (kl_config_get_int (config, 2, KL_CONFIG_KEY_REGISTRATION_PERIOD), ==, 7200);
}

static void
test_line_in_use_needs_a_user_name (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy ip: pbx.example.com\n"
                                            "sip line1 user name: 1001\n"
                                            "sip line4 user name: 1004\n",
                                            diagnostics);

  kl_config_check (config, diagnostics);
  g_assert_cmpuint (diagnostics->len, ==, 0);
  for (guint line = 1; line <= KL_CONFIG_MAX_LINES; line++)
    g_assert_cmpint (kl_config_line_in_use (config, line), ==, line == 1 || line == 4);
}

static void
test_per_line_form_of_a_global_key_is_a_warning (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip line1 T1 timer: 200\n", diagnostics);
  const KlConfigDiagnostic *diagnostic = only_diagnostic (diagnostics);

  g_assert_cmpint (diagnostic->severity, ==, KL_CONFIG_SEVERITY_WARNING);
  g_assert_cmpuint (diagnostic->line, ==, 1);
  g_assert_nonnull (strstr (diagnostic->message, "no per-line form"));
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_T1_TIMER), ==, 500);
}

/* Bad input */

static void
test_unknown_key_is_a_warning_naming_file_and_line (void)
{
  g_autoptr (GPtrArray) diagnostics = diagnostics_of ("sip proxy ip: pbx.example.com\n"
                                                     "time server1: pool.ntp.org\n");
  const KlConfigDiagnostic *diagnostic = only_diagnostic (diagnostics);
  g_autofree char *text = kl_config_diagnostic_to_string (diagnostic);

  g_assert_cmpint (diagnostic->severity, ==, KL_CONFIG_SEVERITY_WARNING);
  g_assert_cmpstr (text, ==, "test.cfg:2: warning: time server1: unknown key, ignored");
  g_assert_cmpuint (kl_config_diagnostics_count_errors (diagnostics), ==, 0);
}

typedef struct {
  const char *name;
  const char *text;
  const char *expect; /* the whole diagnostic as printed */
} BadCase;

static const BadCase bad_cases[] = {
  { "port-above-65535", "sip proxy port: 65536",
    "test.cfg:1: error: sip proxy port: 65536 is above the maximum 65535" },
  { "negative-port", "sip proxy port: -1",
    "test.cfg:1: error: sip proxy port: -1 is below the minimum 0" },
  { "not-a-number", "sip registration period: soon",
    "test.cfg:1: error: sip registration period: 'soon' is not a number" },
  { "number-with-unit", "sip T1 timer: 500ms",
    "test.cfg:1: error: sip T1 timer: '500ms' is not a number" },
  { "empty-number", "sip T2 timer:",
    "test.cfg:1: error: sip T2 timer: empty value, expected a number" },
  { "huge-number", "sip T2 timer: 99999999999999999999999",
    "test.cfg:1: error: sip T2 timer: 99999999999999999999999 is out of range 1000-64000" },
  { "below-range", "sip registration retry timer: 29",
    "test.cfg:1: error: sip registration retry timer: 29 is below the minimum 30" },
  { "above-range", "sip line3 registration retry timer: 1801",
    "test.cfg:1: error: sip line3 registration retry timer: 1801 is above the maximum 1800" },
  { "timeout-retry-below-30", "sip registration timeout retry timer: 10",
    "test.cfg:1: error: sip registration timeout retry timer: 10 is below the minimum 30" },
  { "line-0", "sip line0 user name: 1000",
    "test.cfg:1: error: sip line0 user name: line 0 is out of range 1-9" },
  { "line-10", "sip line10 user name: 1010",
    "test.cfg:1: error: sip line10 user name: line 10 is out of range 1-9" },
  { "empty-host", "sip proxy ip:",
    "test.cfg:1: error: sip proxy ip: empty host; leave the key out or write 0.0.0.0 for none" },
  { "host-with-space", "sip registrar ip: pbx example.com",
    "test.cfg:1: error: sip registrar ip: 'pbx example.com' is not a host name or IP address" },
  { "host-with-port", "sip outbound proxy: pbx.example.com:5060",
    "test.cfg:1: error: sip outbound proxy: 'pbx.example.com:5060' is not a host name or IP address" },
  { "host-uri", "sip backup proxy ip: sip:pbx.example.com",
    "test.cfg:1: error: sip backup proxy ip: 'sip:pbx.example.com' is not a host name or IP address" },
  { "bracketed-ipv4", "sip proxy ip: [192.0.2.1]",
    "test.cfg:1: error: sip proxy ip: '[192.0.2.1]': brackets are only for IPv6 addresses" },
  { "bool-yes", "sip outbound support: yes",
    "test.cfg:1: error: sip outbound support: 'yes': expected 0 or 1" },
  { "transport-3", "sip transport protocol: 3",
    "test.cfg:1: error: sip transport protocol: '3': expected 0 (UDP and TCP), 1 (UDP), 2 (TCP) or 4 (TLS)" },
  { "dns-port-0", "sip dns server: 127.0.0.1:0",
    "test.cfg:1: error: sip dns server: port: 0 is below the minimum 1" },
  { "dns-missing-bracket", "sip dns server: [::1:53",
    "test.cfg:1: error: sip dns server: '[::1:53': missing ']'" },
  { "dns-server-name", "sip dns server: ns.example.com:53",
    "test.cfg:1: error: sip dns server: 'ns.example.com' is not an address" },
  { "blf-with-space", "sip blf extensions: 1002 1003",
    "test.cfg:1: error: sip blf extensions: '1002 1003': an entry contains a space; separate entries with commas" },
  { "missing-colon", "sip proxy ip pbx.example.com",
    "test.cfg:1: error: expected 'key: value' (the line is not shown: it may hold a password)" },
  { "missing-key", ": value", "test.cfg:1: error: missing key before ':'" },
  { "unterminated-quote", "sip display name: \"Desk",
    "test.cfg:1: error: sip display name: missing closing quote" },
  { "text-after-quote", "sip display name: \"Desk\" 4",
    "test.cfg:1: error: sip display name: text after the closing quote" },
  { "invalid-utf8", "sip display name: \xff\xfe", "test.cfg:1: error: line is not valid UTF-8" },
};

static void
test_bad_value (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr (GPtrArray) diagnostics = diagnostics_of (c->text);
  const KlConfigDiagnostic *diagnostic = only_diagnostic (diagnostics);
  g_autofree char *text = kl_config_diagnostic_to_string (diagnostic);

  g_assert_cmpint (diagnostic->severity, ==, KL_CONFIG_SEVERITY_ERROR);
  g_assert_cmpstr (text, ==, c->expect);
}

static void
test_bad_value_keeps_the_earlier_value (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy port: 5060\nsip proxy port: 99999\n",
                                            diagnostics);

  g_assert_cmpuint (kl_config_diagnostics_count_errors (diagnostics), ==, 1);
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_PROXY_PORT), ==, 5060);
}

static void
test_nul_byte_is_an_error (void)
{
  static const char data[] = "sip proxy ip: a\0b\nsip proxy port: 5060\n";
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = kl_config_new (NULL);
  const KlConfigDiagnostic *diagnostic;

  kl_config_parse_data (config, "test.cfg", data, sizeof data - 1, diagnostics);
  diagnostic = only_diagnostic (diagnostics);
  g_assert_cmpuint (diagnostic->line, ==, 1);
  g_assert_cmpstr (diagnostic->message, ==, "line contains a NUL byte");
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_PROXY_PORT), ==, 5060);
}

static void
test_every_error_of_a_file_is_reported (void)
{
  g_autoptr (GPtrArray) diagnostics = diagnostics_of ("sip proxy port: 70000\n"
                                                     "sip T1 timer: x\n"
                                                     "sip foo: 1\n"
                                                     "sip line12 user name: 1\n");

  g_assert_cmpuint (diagnostics->len, ==, 4);
  g_assert_cmpuint (kl_config_diagnostics_count_errors (diagnostics), ==, 3);
  for (guint i = 0; i < diagnostics->len; i++)
    g_assert_cmpuint (((KlConfigDiagnostic *) g_ptr_array_index (diagnostics, i))->line, ==, i + 1);
}

static void
test_user_without_proxy_or_registrar_is_an_error (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip line2 user name: 1002\n", diagnostics);
  g_autofree char *text = NULL;

  kl_config_check (config, diagnostics);
  text = kl_config_diagnostic_to_string (only_diagnostic (diagnostics));
  g_assert_cmpstr (text, ==,
                   "test.cfg:1: error: sip line2 user name: the line has a user name but neither "
                   "a proxy ip nor a registrar ip");
}

static void
test_registrar_alone_is_enough_for_a_line (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip line2 user name: 1002\n"
                                            "sip line2 registrar ip: 192.0.2.1\n",
                                            diagnostics);

  kl_config_check (config, diagnostics);
  g_assert_cmpuint (diagnostics->len, ==, 0);
}

static void
test_tls_without_trust_file_is_an_error (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy ip: pbx.example.com\n"
                                            "sip line1 user name: 1001\n"
                                            "sip transport protocol: 4\n",
                                            diagnostics);
  g_autofree char *text = NULL;

  kl_config_check (config, diagnostics);
  text = kl_config_diagnostic_to_string (only_diagnostic (diagnostics));
  g_assert_cmpstr (text, ==,
                   "test.cfg:3: error: sip line1 transport protocol: TLS needs 'sips trusted "
                   "certificates' to verify the server");
}

/* The second flow goes through the backup outbound proxy: without one, the
 * key would do nothing and say nothing. */
static void
test_dual_flow_without_backup_outbound_proxy_is_warned_about (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy ip: pbx.example.com\n"
                                            "sip line1 user name: 1001\n"
                                            "sip outbound dual flow: 1\n",
                                            diagnostics);
  const KlConfigDiagnostic *diagnostic;

  kl_config_check (config, diagnostics);
  diagnostic = only_diagnostic (diagnostics);
  g_assert_cmpint (diagnostic->severity, ==, KL_CONFIG_SEVERITY_WARNING);
  g_assert_nonnull (strstr (diagnostic->message, "no second flow"));
}

static void
test_local_certificate_without_key_is_an_error (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sips local certificate: /etc/phone.pem\n", diagnostics);
  const KlConfigDiagnostic *diagnostic;

  kl_config_check (config, diagnostics);
  diagnostic = only_diagnostic (diagnostics);
  g_assert_cmpint (diagnostic->severity, ==, KL_CONFIG_SEVERITY_ERROR);
  g_assert_nonnull (strstr (diagnostic->message, "go together"));
}

/* Files */

static void
test_files_are_read_in_guide_order_later_wins (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  const KlConfigSource source = { .dir = dir, .model = "6739i", .mac = "00085d0a0b0c" };
  const char *const expect_files[] = { "aastra.cfg", "6739i.cfg", "00085D0A0B0C.cfg", "local.cfg", NULL };

  kl_test_config_write (dir, "aastra.cfg",
              "sip proxy ip: aastra.example.com\nsip registration period: 100\n"
              "sip T1 timer: 100\nsip T2 timer: 1100\nsip line1 user name: 1001\n");
  kl_test_config_write (dir, "6739i.cfg", "sip registration period: 200\nsip T1 timer: 200\nsip T2 timer: 1200\n");
  kl_test_config_write (dir, "00085D0A0B0C.cfg", "sip registration period: 300\nsip T1 timer: 300\n");
  kl_test_config_write (dir, "local.cfg", "sip registration period: 400\n");
  kl_test_config_write (dir, "other.cfg", "sip registration period: 999\n");

  config = kl_config_load (&source, diagnostics, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (kl_config_get_files_read (config), expect_files);
  g_assert_cmpint (kl_config_get_int (config, 1, KL_CONFIG_KEY_REGISTRATION_PERIOD), ==, 400);
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_T1_TIMER), ==, 300);
  g_assert_cmpint (kl_config_get_int (config, 0, KL_CONFIG_KEY_T2_TIMER), ==, 1200);
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_PROXY_IP), ==, "aastra.example.com");
  kl_test_config_dir_remove (dir);
}

/* A password in a file every user may read is worth a warning that names
 * the file; the same file readable by its owner only is not. */
static void
test_password_readable_by_others_is_warned_about (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autofree char *aastra = g_build_filename (dir, "aastra.cfg", NULL);
  g_autofree char *local = g_build_filename (dir, "local.cfg", NULL);
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  g_autofree char *text = NULL;
  const KlConfigSource source = { .dir = dir };

  kl_test_config_write (dir, "aastra.cfg", "sip proxy ip: pbx.example.com\nsip line1 user name: 1001\nsip line1 password: hunter2\n");
  kl_test_config_write (dir, "local.cfg", "sip line1 password: hunter3\n");
  g_assert_cmpint (g_chmod (aastra, 0644), ==, 0);
  g_assert_cmpint (g_chmod (local, 0600), ==, 0);
  config = kl_config_load (&source, diagnostics, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (diagnostics->len, ==, 1);
  text = kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, 0));
  g_assert_nonnull (strstr (text, "aastra.cfg: warning: holds a password and every user may read it"));
  g_assert_null (strstr (text, "hunter"));
  kl_test_config_dir_remove (dir);
}

static void
test_global_key_in_a_later_file_does_not_beat_a_line_key (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  const KlConfigSource source = { .dir = dir };

  kl_test_config_write (dir, "aastra.cfg", "sip line1 proxy ip: line.example.com\n");
  kl_test_config_write (dir, "local.cfg", "sip proxy ip: global.example.com\n");
  config = kl_config_load (&source, diagnostics, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kl_config_get_string (config, 1, KL_CONFIG_KEY_PROXY_IP), ==, "line.example.com");
  g_assert_cmpstr (kl_config_get_string (config, 2, KL_CONFIG_KEY_PROXY_IP), ==, "global.example.com");
  kl_test_config_dir_remove (dir);
}

static void
test_missing_files_are_skipped (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  const KlConfigSource source = { .dir = dir, .model = "6739i", .mac = "00085D0A0B0C" };
  const char *const expect_files[] = { "local.cfg", NULL };

  kl_test_config_write (dir, "local.cfg", "sip T1 timer: 250\n");
  config = kl_config_load (&source, diagnostics, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (diagnostics->len, ==, 0);
  g_assert_cmpstrv (kl_config_get_files_read (config), expect_files);
  kl_test_config_dir_remove (dir);
}

static void
test_errors_in_several_files_fail_the_load_and_name_each_file (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  const KlConfigSource source = { .dir = dir };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  kl_test_config_write (dir, "aastra.cfg", "# header\nsip proxy port: 70000\n");
  kl_test_config_write (dir, "local.cfg", "sip line0 user name: x\n");
  config = kl_config_load (&source, diagnostics, &error);
  g_assert_null (config);
  g_assert_error (error, KL_CONFIG_ERROR, KL_CONFIG_ERROR_INVALID);
  g_assert_cmpuint (diagnostics->len, ==, 2);
  first = kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, 0));
  second = kl_config_diagnostic_to_string (g_ptr_array_index (diagnostics, 1));
  g_assert_true (g_str_has_prefix (first, "aastra.cfg:2: error: sip proxy port:"));
  g_assert_true (g_str_has_prefix (second, "local.cfg:1: error: sip line0 user name:"));
  kl_test_config_dir_remove (dir);
}

static void
test_relative_certificate_path_is_resolved_in_config_dir (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  const KlConfigSource source = { .dir = dir };
  g_autofree char *expect = g_build_filename (dir, "ca.pem", NULL);

  kl_test_config_write (dir, "ca.pem", "-----BEGIN CERTIFICATE-----\n");
  kl_test_config_write (dir, "local.cfg", "sips trusted certificates: ca.pem\n");
  config = kl_config_load (&source, diagnostics, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES), ==, expect);
  kl_test_config_dir_remove (dir);
}

static void
test_missing_certificate_file_is_an_error (void)
{
  g_autofree char *dir = kl_test_config_dir_new ();
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (KlConfig) config = NULL;
  const KlConfigSource source = { .dir = dir };
  const KlConfigDiagnostic *diagnostic;

  kl_test_config_write (dir, "local.cfg", "sips trusted certificates: missing.pem\n");
  config = kl_config_load (&source, diagnostics, &error);
  g_assert_null (config);
  diagnostic = only_diagnostic (diagnostics);
  g_assert_cmpstr (diagnostic->file, ==, "local.cfg");
  g_assert_cmpuint (diagnostic->line, ==, 1);
  g_assert_nonnull (strstr (diagnostic->message, "missing.pem"));
  kl_test_config_dir_remove (dir);
}

static void
test_missing_directory_is_an_error (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  const KlConfigSource source = { .dir = "/nonexistent/keepline" };
  g_autoptr (KlConfig) config = kl_config_load (&source, diagnostics, &error);

  g_assert_null (config);
  g_assert_error (error, KL_CONFIG_ERROR, KL_CONFIG_ERROR_NO_DIRECTORY);
}

/* Printing */

static void
test_printed_config_masks_passwords_and_reads_back_the_same (void)
{
  g_autoptr (GPtrArray) diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) config = parse_text ("sip proxy ip: pbx.example.com\n"
                                            "sip line1 user name: 1001\n"
                                            "sip line1 password: hunter2\n"
                                            "sip line2 user name: 1002\n"
                                            "sip line2 display name: \" Desk # 2\"\n"
                                            "sip line2 outbound proxy: 2001:db8::5\n"
                                            "sip dns server: 127.0.0.1:5353\n",
                                            diagnostics);
  g_autofree char *text = kl_config_to_text (config);
  g_autoptr (GPtrArray) again_diagnostics = kl_config_diagnostics_new ();
  g_autoptr (KlConfig) again = parse_text (text, again_diagnostics);
  g_autofree char *again_text = kl_config_to_text (again);

  g_assert_null (strstr (text, "hunter2"));
  g_assert_nonnull (strstr (text, "sip line1 password: ********\n"));
  g_assert_nonnull (strstr (text, "sip line2 password:  # default\n"));
  g_assert_nonnull (strstr (text, "# line 3: not in use\n"));
  g_assert_nonnull (strstr (text, "sip line2 display name: \" Desk # 2\"\n"));
  g_assert_nonnull (strstr (text, "sip line1 backup proxy ip: 0.0.0.0  # default\n"));
  g_assert_cmpuint (again_diagnostics->len, ==, 0);
  g_assert_cmpstr (kl_config_get_string (again, 2, KL_CONFIG_KEY_DISPLAY_NAME), ==, " Desk # 2");
  g_assert_cmpstr (kl_config_get_string (again, 2, KL_CONFIG_KEY_OUTBOUND_PROXY), ==, "2001:db8::5");
  /* Read back, every key is set, so only the "# default" marks differ. */
  {
    g_autoptr (GString) unmarked = g_string_new (text);
    g_string_replace (unmarked, "  # default", "", 0);
    g_assert_cmpstr (again_text, ==, unmarked->str);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/table/every-default-is-valid-and-in-range",
                   test_every_default_is_valid_and_in_range);
  g_test_add_func ("/config/table/every-per-line-key-has-a-line-form",
                   test_every_per_line_key_has_a_line_form);
  g_test_add_func ("/config/table/defaults-are-the-guide-s", test_guide_defaults);
  g_test_add_func ("/config/keys/every-key-reads-back-through-its-accessor",
                   test_every_key_reads_back_through_its_accessor);

  g_test_add_func ("/config/syntax/keys-match-without-case-or-repeated-spaces",
                   test_keys_match_without_case_or_repeated_spaces);
  g_test_add_func ("/config/syntax/comments-blank-lines-and-crlf-are-ignored",
                   test_comments_blank_lines_and_crlf_are_ignored);
  g_test_add_func ("/config/syntax/values-keep-their-colons", test_values_keep_their_colons);
  g_test_add_func ("/config/syntax/dns-server-takes-address-port-and-bracketed-ipv6",
                   test_dns_server_forms);
  g_test_add_func ("/config/syntax/zero-address-means-not-set", test_zero_address_means_not_set);
  g_test_add_func ("/config/syntax/later-line-of-one-file-wins", test_later_line_of_one_file_wins);

  g_test_add_func ("/config/lines/line-key-overrides-global-for-that-line-only",
                   test_line_key_overrides_global_for_that_line_only);
  g_test_add_func ("/config/lines/line-key-overrides-global-whatever-their-order",
                   test_line_key_overrides_global_whatever_their_order);
  g_test_add_func ("/config/lines/line-in-use-needs-a-user-name", test_line_in_use_needs_a_user_name);
  g_test_add_func ("/config/lines/per-line-form-of-a-global-key-is-a-warning",
                   test_per_line_form_of_a_global_key_is_a_warning);

  g_test_add_func ("/config/errors/unknown-key-is-a-warning-naming-file-and-line",
                   test_unknown_key_is_a_warning_naming_file_and_line);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/config/errors/bad-value/%s", bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_bad_value);
  }
  g_test_add_func ("/config/errors/bad-value-keeps-the-earlier-value",
                   test_bad_value_keeps_the_earlier_value);
  g_test_add_func ("/config/errors/nul-byte-is-an-error", test_nul_byte_is_an_error);
  g_test_add_func ("/config/errors/every-error-of-a-file-is-reported",
                   test_every_error_of_a_file_is_reported);
  g_test_add_func ("/config/errors/user-without-proxy-or-registrar-is-an-error",
                   test_user_without_proxy_or_registrar_is_an_error);
  g_test_add_func ("/config/errors/registrar-alone-is-enough-for-a-line",
                   test_registrar_alone_is_enough_for_a_line);
  g_test_add_func ("/config/errors/dual-flow-without-backup-outbound-proxy-is-warned-about",
                   test_dual_flow_without_backup_outbound_proxy_is_warned_about);
  g_test_add_func ("/config/errors/tls-without-trust-file-is-an-error",
                   test_tls_without_trust_file_is_an_error);
  g_test_add_func ("/config/errors/local-certificate-without-key-is-an-error",
                   test_local_certificate_without_key_is_an_error);

  g_test_add_func ("/config/files/are-read-in-guide-order-and-later-wins",
                   test_files_are_read_in_guide_order_later_wins);
  g_test_add_func ("/config/files/global-key-in-a-later-file-does-not-beat-a-line-key",
                   test_global_key_in_a_later_file_does_not_beat_a_line_key);
  g_test_add_func ("/config/files/missing-files-are-skipped", test_missing_files_are_skipped);
  g_test_add_func ("/config/files/password-readable-by-others-is-warned-about",
                   test_password_readable_by_others_is_warned_about);
  g_test_add_func ("/config/files/errors-in-several-files-fail-the-load-and-name-each-file",
                   test_errors_in_several_files_fail_the_load_and_name_each_file);
  g_test_add_func ("/config/files/relative-certificate-path-is-resolved-in-config-dir",
                   test_relative_certificate_path_is_resolved_in_config_dir);
  g_test_add_func ("/config/files/missing-certificate-file-is-an-error",
                   test_missing_certificate_file_is_an_error);
  g_test_add_func ("/config/files/missing-directory-is-an-error", test_missing_directory_is_an_error);

  g_test_add_func ("/config/print/masks-passwords-and-reads-back-the-same",
                   test_printed_config_masks_passwords_and_reads_back_the_same);

  return g_test_run ();
}
