/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of every configuration key keepline reads: its name as the phone's
 * administrator guide writes it, type, scope, default, range and meaning. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KL_CONFIG_MAX_LINES 9

typedef enum {
  KL_CONFIG_KEY_OUTBOUND_SUPPORT,
  KL_CONFIG_KEY_TRANSPORT_PROTOCOL,
  KL_CONFIG_KEY_PERSISTENT_TLS,
  KL_CONFIG_KEY_PERSISTENT_TLS_KEEP_ALIVE,
  KL_CONFIG_KEY_SYMMETRIC_UDP_SIGNALING,
  KL_CONFIG_KEY_LOCAL_PORT,
  KL_CONFIG_KEY_LOCAL_TLS_PORT,
  KL_CONFIG_KEY_OUTBOUND_KEEP_ALIVE_TIMER,
  KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW,
  KL_CONFIG_KEY_OUTBOUND_SUSPECT_FLOOR,
  KL_CONFIG_KEY_KEEP_ALIVE_OPTIONS_INTERVAL,

  KL_CONFIG_KEY_USER_NAME,
  KL_CONFIG_KEY_AUTH_NAME,
  KL_CONFIG_KEY_PASSWORD,
  KL_CONFIG_KEY_DISPLAY_NAME,
  KL_CONFIG_KEY_SCREEN_NAME,

  KL_CONFIG_KEY_PROXY_IP,
  KL_CONFIG_KEY_PROXY_PORT,
  KL_CONFIG_KEY_REGISTRAR_IP,
  KL_CONFIG_KEY_REGISTRAR_PORT,
  KL_CONFIG_KEY_OUTBOUND_PROXY,
  KL_CONFIG_KEY_OUTBOUND_PROXY_PORT,
  KL_CONFIG_KEY_BACKUP_PROXY_IP,
  KL_CONFIG_KEY_BACKUP_PROXY_PORT,
  KL_CONFIG_KEY_BACKUP_REGISTRAR_IP,
  KL_CONFIG_KEY_BACKUP_REGISTRAR_PORT,
  KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY,
  KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY_PORT,

  KL_CONFIG_KEY_REGISTRATION_PERIOD,
  KL_CONFIG_KEY_REGISTRATION_RENEWAL_TIMER,
  KL_CONFIG_KEY_REGISTRATION_RETRY_TIMER,
  KL_CONFIG_KEY_REGISTRATION_TIMEOUT_RETRY_TIMER,
  KL_CONFIG_KEY_SUBSCRIPTION_TIMEOUT_RETRY_TIMER,
  KL_CONFIG_KEY_SUBSCRIPTION_FAILED_RETRY_TIMER,
  KL_CONFIG_KEY_BLF_SUBSCRIPTION_PERIOD,
  KL_CONFIG_KEY_BLF_EXTENSIONS,
  KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION,
  KL_CONFIG_KEY_EXPLICIT_MWI_SUBSCRIPTION_PERIOD,

  KL_CONFIG_KEY_T1_TIMER,
  KL_CONFIG_KEY_T2_TIMER,
  KL_CONFIG_KEY_TRANSACTION_TIMER,
  KL_CONFIG_KEY_TIMER_SCALE_PERCENT,

  KL_CONFIG_KEY_RING_TIMEOUT,
  KL_CONFIG_KEY_CALL_WAITING,

  KL_CONFIG_KEY_DNS_SERVER,

  KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES,
  KL_CONFIG_KEY_TLS_ROOT_AND_INTERMEDIATE_CERTIFICATES,
  KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE,
  KL_CONFIG_KEY_TLS_PRIVATE_KEY,
  KL_CONFIG_KEY_TLS_PRIORITY,
  KL_CONFIG_KEY_TLS_REVOCATION_LIST,

  KL_CONFIG_N_KEYS
} KlConfigKey;

typedef enum {
  KL_CONFIG_TYPE_STRING,
  KL_CONFIG_TYPE_SECRET,    /* a string never shown: printed as ******** */
  KL_CONFIG_TYPE_BOOL,      /* 0 or 1 */
  KL_CONFIG_TYPE_INT,       /* bounded by min and max */
  KL_CONFIG_TYPE_TRANSPORT, /* 0, 1, 2 or 4 */
  KL_CONFIG_TYPE_PORT,      /* 0 to 65535; 0 = default port, or DNS SRV for a name */
  KL_CONFIG_TYPE_HOST,      /* host name, IPv4 or IPv6 address; 0.0.0.0 = not set */
  KL_CONFIG_TYPE_HOST_PORT, /* address or address:port, [v6]:port */
  KL_CONFIG_TYPE_PATH,      /* a readable file, relative to the configuration directory */
  KL_CONFIG_TYPE_LIST,      /* comma-separated words */
} KlConfigType;

typedef enum {
  KL_CONFIG_SCOPE_GLOBAL, /* "sip foo" only */
  KL_CONFIG_SCOPE_LINE,   /* "sip foo", overridden per line by "sip lineN foo" */
} KlConfigScope;

typedef struct {
  const char *name; /* as the administrator writes it, e.g. "sip proxy ip" */
  KlConfigType type;
  KlConfigScope scope;
  const char *default_value;
  gint64 min; /* KL_CONFIG_TYPE_INT only */
  gint64 max;
  const char *unit; /* "s", "ms", "%" or NULL */
  const char *summary;
} KlConfigKeyInfo;

/* A value as the loader keeps it: the text as written (normalised), and the
 * number for numeric types. */
typedef struct {
  char *text;
  gint64 number;
} KlConfigValue;

const KlConfigKeyInfo *kl_config_key_info (KlConfigKey key);
gboolean kl_config_key_lookup (const char *normalised_name, KlConfigKey *ret_key);
const char *kl_config_type_describe (KlConfigType type);

gboolean kl_config_value_parse (KlConfigKey key,
                                const char *text,
                                const char *config_dir,
                                KlConfigValue *ret_value,
                                char **ret_reason);
void kl_config_value_clear (KlConfigValue *value);

gboolean kl_config_parse_host_port (const char *text,
                                    char **ret_host,
                                    guint16 *ret_port,
                                    char **ret_reason);

G_END_DECLS
