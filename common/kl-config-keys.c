/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-config"

#include "kl-config-keys.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define LINE KL_CONFIG_SCOPE_LINE
#define GLOBAL KL_CONFIG_SCOPE_GLOBAL

/* The single place where keys are documented: docs/configuration.md is generated
 * from this table (kl-config-doc) and a test keeps the two equal. */
static const KlConfigKeyInfo key_table[KL_CONFIG_N_KEYS] = {
  [KL_CONFIG_KEY_OUTBOUND_SUPPORT] = {
    "sip outbound support", KL_CONFIG_TYPE_BOOL, LINE, "0", 0, 1, NULL,
    "Use SIP Outbound (RFC 5626): Contact with ;ob, +sip.instance and reg-id, "
    "keep-alives on every flow, and flow recovery in the background." },
  [KL_CONFIG_KEY_TRANSPORT_PROTOCOL] = {
    "sip transport protocol", KL_CONFIG_TYPE_TRANSPORT, LINE, "1", 0, 4, NULL,
    "0 = UDP and TCP, 1 = UDP, 2 = TCP, 4 = TLS." },
  [KL_CONFIG_KEY_PERSISTENT_TLS] = {
    "sips persistent tls", KL_CONFIG_TYPE_BOOL, GLOBAL, "0", 0, 1, NULL,
    "With TLS, share one connection from local port 5061 among all lines. "
    "Without it, each TLS connection uses a random local port." },
  [KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE] = {
    "sip persistent tls keep alive", KL_CONFIG_TYPE_INT, GLOBAL, "0", 0, 3600, "s",
    "Seconds between keep-alives on the persistent TLS connection when SIP "
    "Outbound is off; 0 = the outbound keep-alive interval." },
  [KL_CONFIG_KEY_SYMMETRIC_UDP_SIGNALING] = {
    "sip symmetric udp signaling", KL_CONFIG_TYPE_BOOL, GLOBAL, "1", 0, 1, NULL,
    "Send UDP requests from the local SIP port that receives responses." },
  [KL_CONFIG_KEY_LOCAL_PORT] = {
    "sip local port", KL_CONFIG_TYPE_PORT, GLOBAL, "5060", 0, 65535, NULL,
    "Local UDP port SIP is received on (and sent from, with symmetric signalling); "
    "0 = any free port." },
  [KL_CONFIG_KEY_LOCAL_TLS_PORT] = {
    "sip local tls port", KL_CONFIG_TYPE_PORT, GLOBAL, "5061", 0, 65535, NULL,
    "Local port of the persistent TLS connection; 0 = any free port." },
  [KL_CONFIG_KEY_OUTBOUND_KEEP_ALIVE_TIMER] = {
    "sip outbound keep alive timer", KL_CONFIG_TYPE_INT, GLOBAL, "0", 0, 3600, "s",
    "Seconds between keep-alives on a flow. The smaller of this and the "
    "registrar's Flow-Timer applies; 0 = the RFC 5626 recommendation for the "
    "transport (a random 95-120 s for TCP and TLS, 24-29 s for UDP)." },
  [KL_CONFIG_KEY_KEEP_ALIVE_OPTIONS_INTERVAL] = {
    "sip keep alive options interval", KL_CONFIG_TYPE_INT, GLOBAL, "30", 0, 3600, "s",
    "Seconds between SIP OPTIONS that keep a flow alive and check its server "
    "when the registrar did not grant SIP Outbound (it answers no CRLF ping or "
    "STUN); any answer, even 404 or 405, says the server lives, none within "
    "the transaction timeout fails the flow. Probes of a failed primary send "
    "one too. 0 = none (CRLF on persistent TLS, as with outbound). Every "
    "REGISTER offers keep-alives (RFC 6223: keep in its Via); a registrar "
    "that answers keep=N gets a CRLF ping (STUN on UDP) every 80-100 % of N "
    "seconds as well, with no answer awaited: those keep a NAT binding open, "
    "and the OPTIONS still tell whether the registrar lives." },
  [KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW] = {
    "sip outbound dual flow", KL_CONFIG_TYPE_BOOL, LINE, "0", 0, 1, NULL,
    "Keep the backup flow established and registered at all times (reg-id 1 "
    "through the primary, reg-id 2 through the backup outbound proxy)." },
  [KL_CONFIG_KEY_OUTBOUND_SUSPECT_FLOOR] = {
    "sip outbound suspect floor", KL_CONFIG_TYPE_INT, GLOBAL, "1000", 100, 10000, "ms",
    "The least time a keep-alive's answer may take before its flow is suspect. "
    "A flow is suspect when the answer is later than 4 times (smoothed round trip "
    "+ 4 times its variance, RFC 6298) and this floor, when the kernel resends or "
    "cannot send a stream's data while a keep-alive is out, or when a request on a stream has no answer "
    "within the same bound. A suspect flow sends a second keep-alive and, where "
    "the line has a backup, registers there while it keeps the primary; the "
    "flow fails only at the 10 s of RFC 5626, and an answer before then "
    "withdraws the backup registration. Scaled by \"sip timer scale percent\", "
    "to no less than 250 ms." },

  [KL_CONFIG_KEY_USER_NAME] = {
    "sip user name", KL_CONFIG_TYPE_STRING, LINE, "", 0, 0, NULL,
    "User part of the line's address of record. A line with a user name is in use." },
  [KL_CONFIG_KEY_AUTH_NAME] = {
    "sip auth name", KL_CONFIG_TYPE_STRING, LINE, "", 0, 0, NULL,
    "Digest authentication user name; empty = the user name." },
  [KL_CONFIG_KEY_PASSWORD] = {
    "sip password", KL_CONFIG_TYPE_SECRET, LINE, "", 0, 0, NULL,
    "Digest authentication password. Never shown on D-Bus or in logs." },
  [KL_CONFIG_KEY_DISPLAY_NAME] = {
    "sip display name", KL_CONFIG_TYPE_STRING, LINE, "", 0, 0, NULL,
    "Display name in From and Contact." },
  [KL_CONFIG_KEY_SCREEN_NAME] = {
    "sip screen name", KL_CONFIG_TYPE_STRING, LINE, "", 0, 0, NULL,
    "Name the phone's screen shows for the line." },

  [KL_CONFIG_KEY_PROXY_IP] = {
    "sip proxy ip", KL_CONFIG_TYPE_HOST, LINE, "0.0.0.0", 0, 0, NULL,
    "Primary proxy; its host is the domain of the primary AOR. 0.0.0.0 = not set." },
  [KL_CONFIG_KEY_PROXY_PORT] = {
    "sip proxy port", KL_CONFIG_TYPE_PORT, LINE, "0", 0, 65535, NULL,
    "Port of the primary proxy; 0 = DNS SRV for a host name, else 5060 (5061 for TLS)." },
  [KL_CONFIG_KEY_REGISTRAR_IP] = {
    "sip registrar ip", KL_CONFIG_TYPE_HOST, LINE, "0.0.0.0", 0, 0, NULL,
    "Primary registrar; 0.0.0.0 = the primary proxy." },
  [KL_CONFIG_KEY_REGISTRAR_PORT] = {
    "sip registrar port", KL_CONFIG_TYPE_PORT, LINE, "0", 0, 65535, NULL,
    "Port of the primary registrar; 0 as for the proxy port." },
  [KL_CONFIG_KEY_OUTBOUND_PROXY] = {
    "sip outbound proxy", KL_CONFIG_TYPE_HOST, LINE, "0.0.0.0", 0, 0, NULL,
    "Primary outbound proxy: every request goes through it when set." },
  [KL_CONFIG_KEY_OUTBOUND_PROXY_PORT] = {
    "sip outbound proxy port", KL_CONFIG_TYPE_PORT, LINE, "0", 0, 65535, NULL,
    "Port of the primary outbound proxy; 0 as for the proxy port." },
  [KL_CONFIG_KEY_BACKUP_PROXY_IP] = {
    "sip backup proxy ip", KL_CONFIG_TYPE_HOST, LINE, "0.0.0.0", 0, 0, NULL,
    "Backup proxy; its host is the domain of the backup AOR." },
  [KL_CONFIG_KEY_BACKUP_PROXY_PORT] = {
    "sip backup proxy port", KL_CONFIG_TYPE_PORT, LINE, "0", 0, 65535, NULL,
    "Port of the backup proxy; 0 as for the proxy port." },
  [KL_CONFIG_KEY_BACKUP_REGISTRAR_IP] = {
    "sip backup registrar ip", KL_CONFIG_TYPE_HOST, LINE, "0.0.0.0", 0, 0, NULL,
    "Backup registrar." },
  [KL_CONFIG_KEY_BACKUP_REGISTRAR_PORT] = {
    "sip backup registrar port", KL_CONFIG_TYPE_PORT, LINE, "0", 0, 65535, NULL,
    "Port of the backup registrar; 0 as for the proxy port." },
  [KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY] = {
    "sip backup outbound proxy", KL_CONFIG_TYPE_HOST, LINE, "0.0.0.0", 0, 0, NULL,
    "Backup outbound proxy, used when the flow to the outbound proxy fails." },
  [KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY_PORT] = {
    "sip backup outbound proxy port", KL_CONFIG_TYPE_PORT, LINE, "0", 0, 65535, NULL,
    "Port of the backup outbound proxy; 0 as for the proxy port." },

  [KL_CONFIG_KEY_REGISTRATION_PERIOD] = {
    "sip registration period", KL_CONFIG_TYPE_INT, LINE, "3600", 30, 604800, "s",
    "Expires asked for in REGISTER; the registrar may shorten it." },
  [KL_CONFIG_KEY_REGISTRATION_RENEWAL_TIMER] = {
    "sip registration renewal timer", KL_CONFIG_TYPE_INT, LINE, "15", 0, 3600, "s",
    "Renew the registration this many seconds before it expires." },
  [KL_CONFIG_KEY_REGISTRATION_RETRY_TIMER] = {
    "sip registration retry timer", KL_CONFIG_TYPE_INT, LINE, "1800", 30, 1800, "s",
    "Wait before registering again after a registrar rejected the REGISTER." },
  [KL_CONFIG_KEY_REGISTRATION_TIMEOUT_RETRY_TIMER] = {
    "sip registration timeout retry timer", KL_CONFIG_TYPE_INT, LINE, "120", 30, 86400, "s",
    "Wait before registering again after a REGISTER got no answer." },
  [KL_CONFIG_KEY_SUBSCRIPTION_TIMEOUT_RETRY_TIMER] = {
    "sip subscription timeout retry timer", KL_CONFIG_TYPE_INT, LINE, "120", 30, 86400, "s",
    "Wait before subscribing again after a SUBSCRIBE got no answer." },
  [KL_CONFIG_KEY_SUBSCRIPTION_FAILED_RETRY_TIMER] = {
    "sip subscription failed retry timer", KL_CONFIG_TYPE_INT, LINE, "1800", 30, 1800, "s",
    "Wait before subscribing again after a SUBSCRIBE was rejected." },
  [KL_CONFIG_KEY_BLF_SUBSCRIPTION_PERIOD] = {
    "sip blf subscription period", KL_CONFIG_TYPE_INT, LINE, "3600", 30, 86400, "s",
    "Expires asked for in BLF (dialog event) SUBSCRIBE requests." },
  [KL_CONFIG_KEY_BLF_EXTENSIONS] = {
    "sip blf extensions", KL_CONFIG_TYPE_LIST, LINE, "", 0, 0, NULL,
    "Comma-separated extensions whose dialog state the line monitors (BLF)." },
  [KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION] = {
    "sip explicit mwi subscription", KL_CONFIG_TYPE_BOOL, LINE, "0", 0, 1, NULL,
    "Subscribe to message-summary (MWI) for the line's own AOR." },
  [KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION_PERIOD] = {
    "sip explicit mwi subscription period", KL_CONFIG_TYPE_INT, LINE, "86400", 30, 604800, "s",
    "Expires asked for in MWI SUBSCRIBE requests." },

  [KL_CONFIG_KEY_T1_TIMER] = {
    "sip T1 timer", KL_CONFIG_TYPE_INT, GLOBAL, "500", 100, 4000, "ms",
    "RFC 3261 T1: round-trip estimate, first UDP retransmission interval." },
  [KL_CONFIG_KEY_T2_TIMER] = {
    "sip T2 timer", KL_CONFIG_TYPE_INT, GLOBAL, "4000", 1000, 64000, "ms",
    "RFC 3261 T2: longest retransmission interval of non-INVITE requests." },
  [KL_CONFIG_KEY_TRANSACTION_TIMER] = {
    "sip transaction timer", KL_CONFIG_TYPE_INT, GLOBAL, "4000", 1000, 64000, "ms",
    "How long a REGISTER waits for a final answer before its flow to the server "
    "counts as failed. Other requests wait 64 times T1 (RFC 3261 Timers B and F); "
    "their silence ends the request only." },
  [KL_CONFIG_KEY_TIMER_SCALE_PERCENT] = {
    "sip timer scale percent", KL_CONFIG_TYPE_INT, GLOBAL, "100", 1, 100, "%",
    "For labs and tests only: scales the flow-recovery back-off, the retry timers, "
    "the suspicion floor of a flow, the primary probe interval and netmond's reachability probes down to this "
    "percentage. Logged as a warning and shown on D-Bus when below 100." },

  [KL_CONFIG_KEY_RING_TIMEOUT] = {
    "sip ring timeout", KL_CONFIG_TYPE_INT, LINE, "180", 10, 3600, "s",
    "How long an incoming call rings unanswered before sipd ends it with "
    "480 Temporarily Unavailable." },
  [KL_CONFIG_KEY_CALL_WAITING] = {
    "sip call waiting", KL_CONFIG_TYPE_BOOL, LINE, "1", 0, 1, NULL,
    "Let a second incoming call ring while the line has a call; with 0 it is "
    "answered 486 Busy Here." },

  [KL_CONFIG_KEY_DNS_SERVER] = {
    "sip dns server", KL_CONFIG_TYPE_HOST_PORT, GLOBAL, "", 0, 0, NULL,
    "Name server as address or address:port, used instead of /etc/resolv.conf." },

  [KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES] = {
    "sips trusted certificates", KL_CONFIG_TYPE_PATH, GLOBAL, "", 0, 0, NULL,
    "PEM file of the certificates a server's certificate is verified against. "
    "Required for TLS." },
  [KL_CONFIG_KEY_TLS_ROOT_AND_INTERMEDIATE_CERTIFICATES] = {
    "sips root and intermediate certificates", KL_CONFIG_TYPE_PATH, GLOBAL, "", 0, 0, NULL,
    "PEM file of the intermediate CA certificates sent after the local "
    "certificate, for servers that know only the root." },
  [KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE] = {
    "sips local certificate", KL_CONFIG_TYPE_PATH, GLOBAL, "", 0, 0, NULL,
    "PEM client certificate offered to servers that ask for one." },
  [KL_CONFIG_KEY_TLS_PRIVATE_KEY] = {
    "sips private key", KL_CONFIG_TYPE_PATH, GLOBAL, "", 0, 0, NULL,
    "PEM private key of the local certificate." },
  [KL_CONFIG_KEY_TLS_PRIORITY] = {
    "sips tls priority", KL_CONFIG_TYPE_STRING, GLOBAL,
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-SHA1:-AES-128-CBC:-AES-256-CBC:-CAMELLIA-128-CBC:"
    "-CAMELLIA-256-CBC:-3DES-CBC", 0, 0, NULL,
    "The GnuTLS priority string of TLS flows. The default allows TLS 1.2 and "
    "1.3 only, with forward secrecy (no static RSA key exchange) and no CBC or "
    "SHA-1 ciphers. A string GnuTLS refuses makes TLS unusable, with the reason "
    "in each TLS line's LastError." },
  [KL_CONFIG_KEY_TLS_REVOCATION_LIST] = {
    "sips certificate revocation list", KL_CONFIG_TYPE_PATH, GLOBAL, "", 0, 0, NULL,
    "PEM file of certificate revocation lists (CRLs) of the trusted CAs; a "
    "server whose certificate is revoked there is refused. Read again on "
    "Reload when the file changed." },
};

const KlConfigKeyInfo *
kl_config_key_info (KlConfigKey key)
{
  g_return_val_if_fail (key < KL_CONFIG_N_KEYS, NULL);
  return &key_table[key];
}

gboolean
kl_config_key_lookup (const char *normalised_name, KlConfigKey *ret_key)
{
  for (guint i = 0; i < KL_CONFIG_N_KEYS; i++) {
    if (g_ascii_strcasecmp (key_table[i].name, normalised_name) == 0) {
      *ret_key = (KlConfigKey) i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
kl_config_type_describe (KlConfigType type)
{
  switch (type) {
  case KL_CONFIG_TYPE_STRING:
    return "text";
  case KL_CONFIG_TYPE_SECRET:
    return "secret text";
  case KL_CONFIG_TYPE_BOOL:
    return "0 or 1";
  case KL_CONFIG_TYPE_INT:
    return "integer";
  case KL_CONFIG_TYPE_TRANSPORT:
    return "0, 1, 2 or 4";
  case KL_CONFIG_TYPE_PORT:
    return "port";
  case KL_CONFIG_TYPE_HOST:
    return "host";
  case KL_CONFIG_TYPE_HOST_PORT:
    return "address or address:port";
  case KL_CONFIG_TYPE_PATH:
    return "file";
  case KL_CONFIG_TYPE_LIST:
    return "comma-separated list";
  }
  g_return_val_if_reached ("?");
}

static gboolean
parse_number (const char *text, gint64 min, gint64 max, gint64 *ret_number, char **ret_reason)
{
  g_autoptr (GError) error = NULL;
  gint64 number;

  if (*text == '\0') {
    *ret_reason = g_strdup ("empty value, expected a number");
    return FALSE;
  }
  /* Parse without bounds first so the reason can say which bound was crossed. */
  if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &number, &error)) {
    if (g_error_matches (error, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
      *ret_reason = g_strdup_printf ("%s is out of range %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                     text, min, max);
    else
      *ret_reason = g_strdup_printf ("'%s' is not a number", text);
    return FALSE;
  }
  if (number < min) {
    *ret_reason = g_strdup_printf ("%" G_GINT64_FORMAT " is below the minimum %" G_GINT64_FORMAT,
                                   number, min);
    return FALSE;
  }
  if (number > max) {
    *ret_reason = g_strdup_printf ("%" G_GINT64_FORMAT " is above the maximum %" G_GINT64_FORMAT,
                                   number, max);
    return FALSE;
  }
  *ret_number = number;
  return TRUE;
}

static gboolean
is_host_name (const char *text)
{
  gsize total = strlen (text);
  gsize label = 0;

  if (total == 0 || total > 253)
    return FALSE;
  for (const char *p = text; *p; p++) {
    if (*p == '.') {
      if (label == 0 || p[-1] == '-')
        return FALSE;
      label = 0;
      continue;
    }
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
    if (label == 0 && *p == '-')
      return FALSE;
    if (++label > 63)
      return FALSE;
  }
  return TRUE;
}

/* Accepts "name", "1.2.3.4", "2001:db8::1" and "[2001:db8::1]"; returns the bare host. */
static gboolean
parse_host (const char *text, char **ret_host, char **ret_reason)
{
  g_autofree char *bare = NULL;
  gsize len = strlen (text);

  if (len == 0) {
    *ret_reason = g_strdup ("empty host; leave the key out or write 0.0.0.0 for none");
    return FALSE;
  }
  if (text[0] == '[' && len > 2 && text[len - 1] == ']')
    bare = g_strndup (text + 1, len - 2);
  else
    bare = g_strdup (text);

  if (g_hostname_is_ip_address (bare)) {
    if (text[0] == '[' && strchr (bare, ':') == NULL) {
      *ret_reason = g_strdup_printf ("'%s': brackets are only for IPv6 addresses", text);
      return FALSE;
    }
  } else if (text[0] == '[' || !is_host_name (bare)) {
    *ret_reason = g_strdup_printf ("'%s' is not a host name or IP address", text);
    return FALSE;
  }
  *ret_host = g_steal_pointer (&bare);
  return TRUE;
}

gboolean
kl_config_parse_host_port (const char *text, char **ret_host, guint16 *ret_port, char **ret_reason)
{
  g_autofree char *host_text = NULL;
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  const char *colon = strrchr (text, ':');
  gint64 port = 0;

  if (text[0] == '[') {
    const char *close = strchr (text, ']');
    if (close == NULL) {
      *ret_reason = g_strdup_printf ("'%s': missing ']'", text);
      return FALSE;
    }
    host_text = g_strndup (text, close - text + 1);
    if (close[1] == ':')
      port_text = close + 2;
    else if (close[1] != '\0') {
      *ret_reason = g_strdup_printf ("'%s': unexpected text after ']'", text);
      return FALSE;
    }
  } else if (colon != NULL && strchr (text, ':') == colon) {
    /* exactly one colon: host:port */
    host_text = g_strndup (text, colon - text);
    port_text = colon + 1;
  } else {
    host_text = g_strdup (text); /* no colon, or a bare IPv6 address */
  }

  if (!parse_host (host_text, &host, ret_reason))
    return FALSE;
  if (port_text != NULL && !parse_number (port_text, 1, 65535, &port, ret_reason)) {
    g_autofree char *inner = g_steal_pointer (ret_reason);
    *ret_reason = g_strdup_printf ("port: %s", inner);
    return FALSE;
  }
  *ret_host = g_steal_pointer (&host);
  *ret_port = (guint16) port;
  return TRUE;
}

static gboolean
parse_path (const char *text, const char *config_dir, char **ret_path, char **ret_reason)
{
  g_autofree char *path = NULL;

  if (g_str_has_prefix (text, "file://")) {
    g_autoptr (GError) error = NULL;
    path = g_filename_from_uri (text, NULL, &error);
    if (path == NULL) {
      *ret_reason = g_strdup_printf ("'%s': %s", text, error->message);
      return FALSE;
    }
  } else if (g_path_is_absolute (text) || config_dir == NULL) {
    path = g_strdup (text);
  } else {
    path = g_build_filename (config_dir, text, NULL);
  }

  /* Without a directory (a buffer being checked) the file is not looked at. */
  if (config_dir != NULL && access (path, R_OK) != 0) {
    *ret_reason = g_strdup_printf ("cannot read '%s': %s", path, g_strerror (errno));
    return FALSE;
  }
  *ret_path = g_steal_pointer (&path);
  return TRUE;
}

static char *
normalise_list (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr (GPtrArray) words = g_ptr_array_new ();

  for (guint i = 0; parts[i]; i++) {
    g_strstrip (parts[i]);
    if (*parts[i])
      g_ptr_array_add (words, parts[i]);
  }
  g_ptr_array_add (words, NULL);
  return g_strjoinv (",", (char **) words->pdata);
}

static gboolean
list_words_are_plain (const char *list, char **ret_reason)
{
  for (const char *p = list; *p; p++) {
    if (g_ascii_isspace (*p)) {
      *ret_reason = g_strdup_printf ("'%s': an entry contains a space; separate entries with commas",
                                     list);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
kl_config_value_parse (KlConfigKey key,
                       const char *text,
                       const char *config_dir,
                       KlConfigValue *ret_value,
                       char **ret_reason)
{
  const KlConfigKeyInfo *info = kl_config_key_info (key);
  g_autofree char *normalised = NULL;
  gint64 number = 0;

  g_return_val_if_fail (info != NULL, FALSE);

  switch (info->type) {
  case KL_CONFIG_TYPE_STRING:
  case KL_CONFIG_TYPE_SECRET:
    normalised = g_strdup (text);
    break;
  case KL_CONFIG_TYPE_BOOL:
    if (strcmp (text, "0") != 0 && strcmp (text, "1") != 0) {
      *ret_reason = g_strdup_printf ("'%s': expected 0 or 1", text);
      return FALSE;
    }
    number = text[0] == '1';
    normalised = g_strdup (text);
    break;
  case KL_CONFIG_TYPE_INT:
  case KL_CONFIG_TYPE_PORT:
    if (!parse_number (text, info->min, info->max, &number, ret_reason))
      return FALSE;
    normalised = g_strdup_printf ("%" G_GINT64_FORMAT, number);
    break;
  case KL_CONFIG_TYPE_TRANSPORT:
    if (!parse_number (text, 0, 4, &number, ret_reason) || number == 3) {
      g_clear_pointer (ret_reason, g_free);
      *ret_reason = g_strdup_printf ("'%s': expected 0 (UDP and TCP), 1 (UDP), 2 (TCP) or 4 (TLS)",
                                     text);
      return FALSE;
    }
    normalised = g_strdup_printf ("%" G_GINT64_FORMAT, number);
    break;
  case KL_CONFIG_TYPE_HOST:
    if (strcmp (text, "0.0.0.0") == 0)
      normalised = g_strdup ("");
    else if (!parse_host (text, &normalised, ret_reason))
      return FALSE;
    break;
  case KL_CONFIG_TYPE_HOST_PORT: {
    g_autofree char *host = NULL;
    guint16 port;
    if (*text != '\0' && !kl_config_parse_host_port (text, &host, &port, ret_reason))
      return FALSE;
    if (host != NULL && !g_hostname_is_ip_address (host)) {
      *ret_reason = g_strdup_printf ("'%s' is not an address", host);
      return FALSE;
    }
    normalised = g_strdup (text);
    break;
  }
  case KL_CONFIG_TYPE_PATH:
    if (*text == '\0')
      normalised = g_strdup ("");
    else if (!parse_path (text, config_dir, &normalised, ret_reason))
      return FALSE;
    break;
  case KL_CONFIG_TYPE_LIST:
    normalised = normalise_list (text);
    if (!list_words_are_plain (normalised, ret_reason))
      return FALSE;
    break;
  }

  ret_value->text = g_steal_pointer (&normalised);
  ret_value->number = number;
  return TRUE;
}

void
kl_config_value_clear (KlConfigValue *value)
{
  g_clear_pointer (&value->text, g_free);
  value->number = 0;
}
