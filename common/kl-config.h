/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phone configuration: aastra.cfg, <model>.cfg, <mac>.cfg and local.cfg read in
 * that order from one directory, later files overriding earlier ones, "sip lineN …"
 * overriding "sip …" for line N. */
#pragma once

#include <glib.h>

#include "kl-config-keys.h"

G_BEGIN_DECLS

#define KL_CONFIG_ERROR (kl_config_error_quark ())
GQuark kl_config_error_quark (void);

typedef enum {
  KL_CONFIG_ERROR_NO_DIRECTORY,
  KL_CONFIG_ERROR_INVALID,
} KlConfigError;

typedef enum {
  KL_CONFIG_SEVERITY_WARNING,
  KL_CONFIG_SEVERITY_ERROR,
} KlConfigSeverity;

typedef struct {
  KlConfigSeverity severity;
  char *file; /* NULL when the problem is not on one line */
  guint line;
  char *key; /* as written, or NULL */
  char *message;
} KlConfigDiagnostic;

void kl_config_diagnostic_free (KlConfigDiagnostic *diagnostic);
char *kl_config_diagnostic_to_string (const KlConfigDiagnostic *diagnostic);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlConfigDiagnostic, kl_config_diagnostic_free)

GPtrArray *kl_config_diagnostics_new (void);
guint kl_config_diagnostics_count_errors (GPtrArray *diagnostics);

typedef struct {
  const char *dir;
  const char *model; /* reads <model>.cfg; NULL skips it */
  const char *mac;   /* 12 hex digits, reads <MAC>.cfg; NULL skips it */
} KlConfigSource;

typedef struct _KlConfig KlConfig;

KlConfig *kl_config_new (const char *dir);
KlConfig *kl_config_ref (KlConfig *self);
void kl_config_unref (KlConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlConfig, kl_config_unref)

KlConfig *kl_config_load (const KlConfigSource *source,
                          GPtrArray *diagnostics,
                          GError **error);
void kl_config_parse_data (KlConfig *self,
                           const char *file_label,
                           const char *data,
                           gsize length,
                           GPtrArray *diagnostics);
void kl_config_check (KlConfig *self, GPtrArray *diagnostics);

const char *kl_config_get_dir (KlConfig *self);
const char *const *kl_config_get_files_read (KlConfig *self);

/* line 0 is the global value; lines 1..KL_CONFIG_MAX_LINES see their override,
 * else the global value, else the default. */
gboolean kl_config_is_set (KlConfig *self, guint line, KlConfigKey key);
const char *kl_config_get_string (KlConfig *self, guint line, KlConfigKey key);
gint64 kl_config_get_int (KlConfig *self, guint line, KlConfigKey key);
gboolean kl_config_get_bool (KlConfig *self, guint line, KlConfigKey key);
char **kl_config_get_list (KlConfig *self, guint line, KlConfigKey key);
gboolean kl_config_get_server (KlConfig *self,
                               guint line,
                               KlConfigKey host_key,
                               KlConfigKey port_key,
                               const char **ret_host,
                               guint16 *ret_port);
gboolean kl_config_get_address (KlConfig *self,
                                KlConfigKey key,
                                char **ret_host,
                                guint16 *ret_port);
gboolean kl_config_line_in_use (KlConfig *self, guint line);

char *kl_config_line_key_name (KlConfigKey key, guint line);
char *kl_config_to_text (KlConfig *self);

G_END_DECLS
