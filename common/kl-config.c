/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-config"

#include "kl-config.h"

#include <glib/gstdio.h>
#include <string.h>

#define N_SCOPES (1 + KL_CONFIG_MAX_LINES) /* [0] = global, [n] = line n */
#define SECRET_MASK "********"

typedef struct {
  gboolean set;
  KlConfigValue value;
  char *file;
  guint line_no;
} Slot;

struct _KlConfig {
  char *dir;
  GPtrArray *files_read; /* NULL-terminated file names */
  gboolean secret_read;  /* the file being parsed set a password */
  KlConfigValue defaults[KL_CONFIG_N_KEYS];
  Slot slots[N_SCOPES][KL_CONFIG_N_KEYS];
};

G_DEFINE_QUARK (kl-config-error-quark, kl_config_error)

/* Diagnostics */

void
kl_config_diagnostic_free (KlConfigDiagnostic *diagnostic)
{
  g_free (diagnostic->file);
  g_free (diagnostic->key);
  g_free (diagnostic->message);
  g_free (diagnostic);
}

char *
kl_config_diagnostic_to_string (const KlConfigDiagnostic *diagnostic)
{
  const char *severity = diagnostic->severity == KL_CONFIG_SEVERITY_ERROR ? "error" : "warning";
  g_autoptr (GString) text = g_string_new (NULL);

  if (diagnostic->file != NULL && diagnostic->line > 0)
    g_string_append_printf (text, "%s:%u: ", diagnostic->file, diagnostic->line);
  else if (diagnostic->file != NULL)
    g_string_append_printf (text, "%s: ", diagnostic->file);
  g_string_append_printf (text, "%s: ", severity);
  if (diagnostic->key != NULL)
    g_string_append_printf (text, "%s: ", diagnostic->key);
  g_string_append (text, diagnostic->message);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

GPtrArray *
kl_config_diagnostics_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) kl_config_diagnostic_free);
}

guint
kl_config_diagnostics_count_errors (GPtrArray *diagnostics)
{
  guint errors = 0;

  for (guint i = 0; i < diagnostics->len; i++) {
    const KlConfigDiagnostic *diagnostic = g_ptr_array_index (diagnostics, i);
    if (diagnostic->severity == KL_CONFIG_SEVERITY_ERROR)
      errors++;
  }
  return errors;
}

G_GNUC_PRINTF (6, 7)
static void
report (GPtrArray *diagnostics,
        KlConfigSeverity severity,
        const char *file,
        guint line,
        const char *key,
        const char *format,
        ...)
{
  KlConfigDiagnostic *diagnostic = g_new0 (KlConfigDiagnostic, 1);
  va_list args;

  va_start (args, format);
  diagnostic->severity = severity;
  diagnostic->file = g_strdup (file);
  diagnostic->line = line;
  diagnostic->key = g_strdup (key);
  diagnostic->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (diagnostics, diagnostic);
}

/* Construction */

KlConfig *
kl_config_new (const char *dir)
{
  KlConfig *self = g_atomic_rc_box_new0 (KlConfig);

  self->dir = g_strdup (dir);
  self->files_read = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->files_read, NULL);

  for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
    g_autofree char *reason = NULL;
    if (!kl_config_value_parse (key, kl_config_key_info (key)->default_value, NULL,
                                &self->defaults[key], &reason))
      g_error ("default of '%s' is invalid: %s", kl_config_key_info (key)->name, reason);
  }
  return self;
}

KlConfig *
kl_config_ref (KlConfig *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
kl_config_clear (KlConfig *self)
{
  for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
    kl_config_value_clear (&self->defaults[key]);
    for (guint scope = 0; scope < N_SCOPES; scope++) {
      kl_config_value_clear (&self->slots[scope][key].value);
      g_free (self->slots[scope][key].file);
    }
  }
  g_ptr_array_unref (self->files_read);
  g_free (self->dir);
}

void
kl_config_unref (KlConfig *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) kl_config_clear);
}

/* Parsing */

/* Collapses runs of whitespace; the case is kept for messages and ignored in lookups. */
static char *
collapse_spaces (const char *key)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean in_space = FALSE;

  for (const char *p = key; *p; p++) {
    if (g_ascii_isspace (*p)) {
      in_space = TRUE;
      continue;
    }
    if (in_space && out->len > 0)
      g_string_append_c (out, ' ');
    in_space = FALSE;
    g_string_append_c (out, *p);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Splits "value  # comment" and '"quoted # value" # comment'. */
static gboolean
extract_value (char *raw, char **ret_value, char **ret_reason)
{
  char *value = g_strstrip (raw);

  if (value[0] == '"') {
    char *close = strchr (value + 1, '"');
    if (close == NULL) {
      *ret_reason = g_strdup ("missing closing quote");
      return FALSE;
    }
    *close = '\0';
    for (char *rest = close + 1; *rest; rest++) {
      if (*rest == '#')
        break;
      if (!g_ascii_isspace (*rest)) {
        *ret_reason = g_strdup ("text after the closing quote");
        return FALSE;
      }
    }
    *ret_value = value + 1;
    return TRUE;
  }

  for (char *p = value; *p; p++) {
    if (*p == '#' && (p == value || g_ascii_isspace (p[-1]))) {
      *p = '\0';
      break;
    }
  }
  *ret_value = g_strstrip (value);
  return TRUE;
}

/* Resolves "sip lineN rest" to (N, "sip rest"); other keys to (0, key).
 * Returns FALSE with a reason when N is not a valid line. */
static gboolean
split_line_prefix (const char *key, guint *ret_line, char **ret_base_key, char **ret_reason)
{
  const char *p;
  guint64 line = 0;
  const char *digits;

  if (g_ascii_strncasecmp (key, "sip line", strlen ("sip line")) != 0 ||
      !g_ascii_isdigit (key[strlen ("sip line")])) {
    *ret_line = 0;
    *ret_base_key = g_strdup (key);
    return TRUE;
  }
  digits = key + strlen ("sip line");
  for (p = digits; g_ascii_isdigit (*p); p++) {
    if (line < 1000)
      line = line * 10 + (guint64) (*p - '0');
  }
  if (*p != ' ') {
    *ret_line = 0;
    *ret_base_key = g_strdup (key); /* e.g. "sip line1x": an unknown key */
    return TRUE;
  }
  if (line < 1 || line > KL_CONFIG_MAX_LINES) {
    *ret_reason = g_strdup_printf ("line %.*s is out of range 1-%d", (int) (p - digits), digits,
                                   KL_CONFIG_MAX_LINES);
    return FALSE;
  }
  *ret_line = (guint) line;
  *ret_base_key = g_strconcat ("sip", p, NULL);
  return TRUE;
}

static void
store (KlConfig *self, guint scope, KlConfigKey key, KlConfigValue *value, const char *file, guint line_no)
{
  Slot *slot = &self->slots[scope][key];

  kl_config_value_clear (&slot->value);
  g_free (slot->file);
  slot->value = *value;
  slot->set = TRUE;
  slot->file = g_strdup (file);
  slot->line_no = line_no;
  *value = (KlConfigValue) { 0 };
}

static void
parse_one_line (KlConfig *self, const char *file, guint line_no, char *text, GPtrArray *diagnostics)
{
  g_autofree char *key = NULL;
  g_autofree char *base_key = NULL;
  g_autofree char *reason = NULL;
  KlConfigValue parsed = { 0 };
  char *colon;
  char *value;
  guint scope;
  KlConfigKey id;

  g_strstrip (text);
  if (text[0] == '\0' || text[0] == '#')
    return;

  colon = strchr (text, ':');
  if (colon == NULL) {
    /* the line itself is not shown: it may be a password missing its colon */
    report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file, line_no, NULL,
            "expected 'key: value' (the line is not shown: it may hold a password)");
    return;
  }
  *colon = '\0';
  key = collapse_spaces (text);
  if (key[0] == '\0') {
    report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file, line_no, NULL, "missing key before ':'");
    return;
  }
  if (!extract_value (colon + 1, &value, &reason)) {
    report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file, line_no, key, "%s", reason);
    return;
  }
  if (!split_line_prefix (key, &scope, &base_key, &reason)) {
    report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file, line_no, key, "%s", reason);
    return;
  }
  if (!kl_config_key_lookup (base_key, &id)) {
    report (diagnostics, KL_CONFIG_SEVERITY_WARNING, file, line_no, key, "unknown key, ignored");
    return;
  }
  if (scope > 0 && kl_config_key_info (id)->scope == KL_CONFIG_SCOPE_GLOBAL) {
    report (diagnostics, KL_CONFIG_SEVERITY_WARNING, file, line_no, key,
            "'%s' has no per-line form, ignored", kl_config_key_info (id)->name);
    return;
  }
  if (!kl_config_value_parse (id, value, self->dir, &parsed, &reason)) {
    report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file, line_no, key, "%s", reason);
    return;
  }
  if (kl_config_key_info (id)->type == KL_CONFIG_TYPE_SECRET)
    self->secret_read = TRUE;
  store (self, scope, id, &parsed, file, line_no);
}

void
kl_config_parse_data (KlConfig *self,
                      const char *file_label,
                      const char *data,
                      gsize length,
                      GPtrArray *diagnostics)
{
  const char *end = data + length;
  const char *line = data;
  guint line_no = 0;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || length == 0);

  while (line < end) {
    const char *newline = memchr (line, '\n', end - line);
    const char *line_end = newline ? newline : end;
    g_autofree char *text = NULL;

    line_no++;
    if (memchr (line, '\0', line_end - line) != NULL) {
      report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file_label, line_no, NULL,
              "line contains a NUL byte");
    } else if (!g_utf8_validate (line, line_end - line, NULL)) {
      report (diagnostics, KL_CONFIG_SEVERITY_ERROR, file_label, line_no, NULL,
              "line is not valid UTF-8");
    } else {
      text = g_strndup (line, line_end - line);
      parse_one_line (self, file_label, line_no, text, diagnostics);
    }
    line = line_end + 1;
  }
}

/* Checks across keys, once every file is read */

static const Slot *
effective_slot (KlConfig *self, guint line, KlConfigKey key)
{
  if (line > 0 && self->slots[line][key].set)
    return &self->slots[line][key];
  if (self->slots[0][key].set)
    return &self->slots[0][key];
  return NULL;
}

static void
report_at_severity (GPtrArray *diagnostics,
                    KlConfigSeverity severity,
                    KlConfig *self,
                    guint line,
                    KlConfigKey key,
                    const char *message)
{
  const Slot *slot = effective_slot (self, line, key);
  g_autofree char *name = kl_config_line_key_name (key, line);

  report (diagnostics, severity, slot ? slot->file : NULL, slot ? slot->line_no : 0, name, "%s", message);
}

static void
report_at (GPtrArray *diagnostics, KlConfig *self, guint line, KlConfigKey key, const char *message)
{
  report_at_severity (diagnostics, KL_CONFIG_SEVERITY_ERROR, self, line, key, message);
}

void
kl_config_check (KlConfig *self, GPtrArray *diagnostics)
{
  gboolean tls_wanted = FALSE;

  for (guint line = 1; line <= KL_CONFIG_MAX_LINES; line++) {
    if (!kl_config_line_in_use (self, line))
      continue;
    if (!kl_config_get_server (self, line, KL_CONFIG_KEY_PROXY_IP, KL_CONFIG_KEY_PROXY_PORT, NULL, NULL) &&
        !kl_config_get_server (self, line, KL_CONFIG_KEY_REGISTRAR_IP, KL_CONFIG_KEY_REGISTRAR_PORT, NULL, NULL))
      report_at (diagnostics, self, line, KL_CONFIG_KEY_USER_NAME,
                 "the line has a user name but neither a proxy ip nor a registrar ip");
    if (kl_config_get_bool (self, line, KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW) &&
        !kl_config_get_server (self, line, KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY,
                               KL_CONFIG_KEY_BACKUP_OUTBOUND_PROXY_PORT, NULL, NULL))
      report_at_severity (diagnostics, KL_CONFIG_SEVERITY_WARNING, self, line, KL_CONFIG_KEY_OUTBOUND_DUAL_FLOW,
                          "the second flow goes through the backup outbound proxy, and there is none: "
                          "no second flow");
    if (kl_config_get_int (self, line, KL_CONFIG_KEY_TRANSPORT_PROTOCOL) == 4 && !tls_wanted) {
      tls_wanted = TRUE;
      if (*kl_config_get_string (self, 0, KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES) == '\0')
        report_at (diagnostics, self, line, KL_CONFIG_KEY_TRANSPORT_PROTOCOL,
                   "TLS needs 'sips trusted certificates' to verify the server");
    }
  }

  if (kl_config_is_set (self, 0, KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE) !=
      kl_config_is_set (self, 0, KL_CONFIG_KEY_TLS_PRIVATE_KEY)) {
    gboolean has_cert = kl_config_is_set (self, 0, KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE);
    report_at (diagnostics, self, 0,
               has_cert ? KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE : KL_CONFIG_KEY_TLS_PRIVATE_KEY,
               "'sips local certificate' and 'sips private key' go together");
  }
}

static void
read_file (KlConfig *self, const char *name, GPtrArray *diagnostics)
{
  g_autofree char *path = g_build_filename (self->dir, name, NULL);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf info;
  gsize length;

  if (!g_file_get_contents (path, &data, &length, &error)) {
    if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      report (diagnostics, KL_CONFIG_SEVERITY_ERROR, name, 0, NULL, "%s", error->message);
    return;
  }
  g_ptr_array_insert (self->files_read, self->files_read->len - 1, g_strdup (name));
  self->secret_read = FALSE;
  kl_config_parse_data (self, name, data, length, diagnostics);
  if (self->secret_read && g_stat (path, &info) == 0 && (info.st_mode & S_IROTH))
    report (diagnostics, KL_CONFIG_SEVERITY_WARNING, name, 0, NULL,
            "holds a password and every user may read it: chmod o-r %s", path);
}

KlConfig *
kl_config_load (const KlConfigSource *source, GPtrArray *diagnostics, GError **error)
{
  g_autoptr (KlConfig) self = NULL;
  g_autofree char *model_file = NULL;
  g_autofree char *mac_file = NULL;
  guint errors;

  g_return_val_if_fail (source != NULL && source->dir != NULL, NULL);
  g_return_val_if_fail (diagnostics != NULL, NULL);

  if (!g_file_test (source->dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, KL_CONFIG_ERROR, KL_CONFIG_ERROR_NO_DIRECTORY,
                 "configuration directory '%s' does not exist", source->dir);
    return NULL;
  }

  self = kl_config_new (source->dir);
  read_file (self, "aastra.cfg", diagnostics);
  if (source->model != NULL && *source->model != '\0') {
    model_file = g_strconcat (source->model, ".cfg", NULL);
    read_file (self, model_file, diagnostics);
  }
  if (source->mac != NULL && *source->mac != '\0') {
    g_autofree char *upper = g_ascii_strup (source->mac, -1);
    mac_file = g_strconcat (upper, ".cfg", NULL);
    read_file (self, mac_file, diagnostics);
  }
  read_file (self, "local.cfg", diagnostics);
  kl_config_check (self, diagnostics);

  errors = kl_config_diagnostics_count_errors (diagnostics);
  if (errors > 0) {
    g_set_error (error, KL_CONFIG_ERROR, KL_CONFIG_ERROR_INVALID,
                 "%u error%s in the configuration in '%s'", errors, errors == 1 ? "" : "s",
                 source->dir);
    return NULL;
  }
  return g_steal_pointer (&self);
}

/* Accessors */

const char *
kl_config_get_dir (KlConfig *self)
{
  return self->dir;
}

const char *const *
kl_config_get_files_read (KlConfig *self)
{
  return (const char *const *) self->files_read->pdata;
}

static const KlConfigValue *
effective_value (KlConfig *self, guint line, KlConfigKey key)
{
  const Slot *slot;

  g_return_val_if_fail (key < KL_CONFIG_N_KEYS, NULL);
  g_return_val_if_fail (line <= KL_CONFIG_MAX_LINES, NULL);

  slot = effective_slot (self, line, key);
  return slot ? &slot->value : &self->defaults[key];
}

gboolean
kl_config_is_set (KlConfig *self, guint line, KlConfigKey key)
{
  g_return_val_if_fail (key < KL_CONFIG_N_KEYS, FALSE);
  g_return_val_if_fail (line <= KL_CONFIG_MAX_LINES, FALSE);
  return effective_slot (self, line, key) != NULL;
}

const char *
kl_config_get_string (KlConfig *self, guint line, KlConfigKey key)
{
  const KlConfigValue *value = effective_value (self, line, key);
  return value ? value->text : "";
}

static gboolean
is_numeric (KlConfigType type)
{
  return type == KL_CONFIG_TYPE_INT || type == KL_CONFIG_TYPE_PORT ||
         type == KL_CONFIG_TYPE_TRANSPORT || type == KL_CONFIG_TYPE_BOOL;
}

gint64
kl_config_get_int (KlConfig *self, guint line, KlConfigKey key)
{
  const KlConfigValue *value = effective_value (self, line, key);

  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (is_numeric (kl_config_key_info (key)->type), 0);
  return value->number;
}

gboolean
kl_config_get_bool (KlConfig *self, guint line, KlConfigKey key)
{
  g_return_val_if_fail (kl_config_key_info (key)->type == KL_CONFIG_TYPE_BOOL, FALSE);
  return kl_config_get_int (self, line, key) != 0;
}

char **
kl_config_get_list (KlConfig *self, guint line, KlConfigKey key)
{
  const char *text = kl_config_get_string (self, line, key);

  g_return_val_if_fail (kl_config_key_info (key)->type == KL_CONFIG_TYPE_LIST, NULL);
  if (*text == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (text, ",", -1);
}

gboolean
kl_config_get_server (KlConfig *self,
                      guint line,
                      KlConfigKey host_key,
                      KlConfigKey port_key,
                      const char **ret_host,
                      guint16 *ret_port)
{
  const char *host;

  g_return_val_if_fail (kl_config_key_info (host_key)->type == KL_CONFIG_TYPE_HOST, FALSE);
  g_return_val_if_fail (kl_config_key_info (port_key)->type == KL_CONFIG_TYPE_PORT, FALSE);

  host = kl_config_get_string (self, line, host_key);
  if (*host == '\0')
    return FALSE;
  if (ret_host)
    *ret_host = host;
  if (ret_port)
    *ret_port = (guint16) kl_config_get_int (self, line, port_key);
  return TRUE;
}

gboolean
kl_config_get_address (KlConfig *self, KlConfigKey key, char **ret_host, guint16 *ret_port)
{
  const char *text = kl_config_get_string (self, 0, key);
  g_autofree char *reason = NULL;

  g_return_val_if_fail (kl_config_key_info (key)->type == KL_CONFIG_TYPE_HOST_PORT, FALSE);
  if (*text == '\0')
    return FALSE;
  /* The loader validated the text, so this cannot fail. */
  return kl_config_parse_host_port (text, ret_host, ret_port, &reason);
}

gboolean
kl_config_line_in_use (KlConfig *self, guint line)
{
  g_return_val_if_fail (line >= 1 && line <= KL_CONFIG_MAX_LINES, FALSE);
  return *kl_config_get_string (self, line, KL_CONFIG_KEY_USER_NAME) != '\0';
}

/* Printing */

char *
kl_config_line_key_name (KlConfigKey key, guint line)
{
  const char *name = kl_config_key_info (key)->name;

  if (line == 0)
    return g_strdup (name);
  g_return_val_if_fail (g_str_has_prefix (name, "sip "), g_strdup (name));
  return g_strdup_printf ("sip line%u %s", line, name + strlen ("sip "));
}

static gboolean
needs_quotes (const char *text)
{
  gsize len = strlen (text);

  if (len == 0)
    return FALSE;
  if (g_ascii_isspace (text[0]) || g_ascii_isspace (text[len - 1]) || text[0] == '#')
    return TRUE;
  for (const char *p = text + 1; *p; p++) {
    if (*p == '#' && g_ascii_isspace (p[-1]))
      return TRUE;
  }
  return FALSE;
}

static void
print_key (KlConfig *self, GString *out, guint line, KlConfigKey key)
{
  const KlConfigKeyInfo *info = kl_config_key_info (key);
  g_autofree char *name = kl_config_line_key_name (key, line);
  const char *text = kl_config_get_string (self, line, key);

  if (info->type == KL_CONFIG_TYPE_SECRET && *text != '\0')
    text = SECRET_MASK;
  else if (info->type == KL_CONFIG_TYPE_HOST && *text == '\0')
    text = "0.0.0.0";

  if (needs_quotes (text))
    g_string_append_printf (out, "%s: \"%s\"", name, text);
  else if (*text == '\0')
    g_string_append_printf (out, "%s:", name);
  else
    g_string_append_printf (out, "%s: %s", name, text);
  if (!kl_config_is_set (self, line, key))
    g_string_append (out, "  # default");
  g_string_append_c (out, '\n');
}

char *
kl_config_to_text (KlConfig *self)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *files = g_strjoinv (", ", (char **) kl_config_get_files_read (self));

  g_string_append_printf (out, "# effective configuration of %s (read: %s)\n",
                          self->dir ? self->dir : "(no directory)",
                          *files ? files : "no file");
  g_string_append (out, "\n# global\n");
  for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
    if (kl_config_key_info (key)->scope == KL_CONFIG_SCOPE_GLOBAL)
      print_key (self, out, 0, key);
  }
  for (guint line = 1; line <= KL_CONFIG_MAX_LINES; line++) {
    if (!kl_config_line_in_use (self, line)) {
      g_string_append_printf (out, "\n# line %u: not in use\n", line);
      continue;
    }
    g_string_append_printf (out, "\n# line %u\n", line);
    for (guint key = 0; key < KL_CONFIG_N_KEYS; key++) {
      if (kl_config_key_info (key)->scope == KL_CONFIG_SCOPE_LINE)
        print_key (self, out, line, key);
    }
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
