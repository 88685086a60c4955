/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-ipc-docs.h"

#include <gio/gio.h>
#include <string.h>

typedef struct {
  KlIpcDocs *docs;
  const char *file;
  char *pending_comment;  /* the comment just before the next element */
  char *interface;
  char *member_comment;   /* the comment of the method or signal being read */
  char *member;
} Reader;

/* "Name: text" or "Name:\n text": the comment starts with the label and says something. */
static gboolean
comment_documents (const char *comment, const char *label)
{
  g_autofree char *prefix = g_strconcat (label, ":", NULL);
  const char *rest;

  if (comment == NULL)
    return FALSE;
  while (g_ascii_isspace (*comment))
    comment++;
  if (!g_str_has_prefix (comment, prefix))
    return FALSE;
  for (rest = comment + strlen (prefix); *rest; rest++) {
    if (!g_ascii_isspace (*rest))
      return TRUE;
  }
  return FALSE;
}

static gboolean
comment_documents_arg (const char *comment, const char *arg)
{
  g_autofree char *tag = g_strconcat ("@", arg, ":", NULL);
  const char *at = comment ? strstr (comment, tag) : NULL;

  if (at == NULL)
    return FALSE;
  for (const char *p = at + strlen (tag); *p && *p != '\n'; p++) {
    if (!g_ascii_isspace (*p))
      return TRUE;
  }
  return FALSE;
}

G_GNUC_PRINTF (2, 3)
static void
undocumented (Reader *reader, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (reader->docs->undocumented, g_strdup_printf ("%s: %s", reader->file, what));
}

/* The keys a comment documents for the dictionaries of a property: each
 * "key" (type) or "key" (type, …) with a D-Bus type. */
static void
record_keys (Reader *reader, const char *property, const char *comment)
{
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *start = comment ? strchr (comment, '"') : NULL;
  const char *end;

  /* each pair of quotes, in turn */
  for (; start != NULL && (end = strchr (start + 1, '"')) != NULL; start = strchr (end + 1, '"')) {
    g_autofree char *key = NULL;
    g_autofree char *type = NULL;
    const char *before;
    gsize length;

    if (!g_str_has_prefix (end, "\" ("))
      continue;
    length = strcspn (end + 3, "),");
    type = g_strndup (end + 3, length);
    if (end[3 + length] == '\0' || !g_variant_type_string_is_valid (type))
      continue;
    key = g_strndup (start + 1, (gsize) (end - start - 1));
    before = g_hash_table_lookup (keys, key);
    if (before != NULL && !g_str_equal (before, type))
      undocumented (reader, "key \"%s\" of %s.%s is documented as %s and as %s", key, reader->interface,
                    property, before, type);
    else
      g_hash_table_insert (keys, g_steal_pointer (&key), g_steal_pointer (&type));
  }
  if (g_hash_table_size (keys) == 0)
    undocumented (reader, "property %s.%s has dictionaries, but documents no key as \"key\" (type)",
                  reader->interface, property);
  g_hash_table_insert (reader->docs->keys, g_strdup_printf ("%s.%s", reader->interface, property),
                       g_steal_pointer (&keys));
}

static void
on_start (GMarkupParseContext *context,
          const char *element,
          const char **names,
          const char **values,
          gpointer user_data,
          GError **error)
{
  Reader *reader = user_data;
  const char *name = NULL;
  const char *type = NULL;

  for (guint i = 0; names[i]; i++) {
    if (strcmp (names[i], "name") == 0)
      name = values[i];
    else if (strcmp (names[i], "type") == 0)
      type = values[i];
  }

  if (strcmp (element, "interface") == 0) {
    g_free (reader->interface);
    reader->interface = g_strdup (name);
    if (!comment_documents (reader->pending_comment, name))
      undocumented (reader, "interface %s has no doc comment", name);
  } else if (strcmp (element, "method") == 0 || strcmp (element, "signal") == 0 ||
             strcmp (element, "property") == 0) {
    if (!comment_documents (reader->pending_comment, name))
      undocumented (reader, "%s %s.%s has no doc comment", element, reader->interface, name);
    g_free (reader->member);
    g_free (reader->member_comment);
    reader->member = g_strdup (name);
    reader->member_comment = g_strdup (reader->pending_comment);
    if (strcmp (element, "property") == 0 && type != NULL && strstr (type, "a{sv}") != NULL)
      record_keys (reader, name, reader->pending_comment);
  } else if (strcmp (element, "arg") == 0) {
    if (name == NULL)
      undocumented (reader, "an argument of %s.%s has no name", reader->interface, reader->member);
    else if (!comment_documents_arg (reader->member_comment, name))
      undocumented (reader, "argument %s of %s.%s is not described by @%s:", name,
                    reader->interface, reader->member, name);
  }
  if (strcmp (element, "annotation") != 0)
    g_clear_pointer (&reader->pending_comment, g_free);
}

static void
on_passthrough (GMarkupParseContext *context,
                const char *text,
                gsize length,
                gpointer user_data,
                GError **error)
{
  Reader *reader = user_data;

  if (length >= 7 && strncmp (text, "<!--", 4) == 0) {
    g_free (reader->pending_comment);
    reader->pending_comment = g_strndup (text + 4, length - 7);
  }
}

static void
record_signatures (KlIpcDocs *docs, GDBusNodeInfo *node)
{
  for (guint i = 0; node->interfaces && node->interfaces[i]; i++) {
    GDBusInterfaceInfo *iface = node->interfaces[i];

    g_hash_table_insert (docs->members, g_strdup (iface->name), g_strdup ("interface"));
    for (guint m = 0; iface->methods && iface->methods[m]; m++) {
      GDBusMethodInfo *method = iface->methods[m];
      g_autoptr (GString) in_sig = g_string_new (NULL);
      g_autoptr (GString) out_sig = g_string_new (NULL);

      for (guint a = 0; method->in_args && method->in_args[a]; a++)
        g_string_append (in_sig, method->in_args[a]->signature);
      for (guint a = 0; method->out_args && method->out_args[a]; a++)
        g_string_append (out_sig, method->out_args[a]->signature);
      g_hash_table_insert (docs->members, g_strdup_printf ("%s.%s", iface->name, method->name),
                           g_strdup_printf ("method in:%s out:%s", in_sig->str, out_sig->str));
    }
    for (guint s = 0; iface->signals && iface->signals[s]; s++) {
      GDBusSignalInfo *signal = iface->signals[s];
      g_autoptr (GString) sig = g_string_new (NULL);

      for (guint a = 0; signal->args && signal->args[a]; a++)
        g_string_append (sig, signal->args[a]->signature);
      g_hash_table_insert (docs->members, g_strdup_printf ("%s.%s", iface->name, signal->name),
                           g_strdup_printf ("signal %s", sig->str));
    }
    for (guint p = 0; iface->properties && iface->properties[p]; p++) {
      GDBusPropertyInfo *property = iface->properties[p];
      g_hash_table_insert (docs->members, g_strdup_printf ("%s.%s", iface->name, property->name),
                           g_strdup_printf ("property %s %d", property->signature, property->flags));
    }
  }
}

static gboolean
load_file (KlIpcDocs *docs, const char *dir, const char *file, GError **error)
{
  static const GMarkupParser parser = { .start_element = on_start, .passthrough = on_passthrough };
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *xml = NULL;
  g_autoptr (GMarkupParseContext) context = NULL;
  g_autoptr (GDBusNodeInfo) node = NULL;
  gsize length;
  Reader reader = { .docs = docs, .file = file };
  gboolean ok;

  if (!g_file_get_contents (path, &xml, &length, error))
    return FALSE;
  node = g_dbus_node_info_new_for_xml (xml, error);
  if (node == NULL)
    return FALSE;
  record_signatures (docs, node);

  context = g_markup_parse_context_new (&parser, 0, &reader, NULL);
  ok = g_markup_parse_context_parse (context, xml, length, error) &&
       g_markup_parse_context_end_parse (context, error);
  g_free (reader.pending_comment);
  g_free (reader.interface);
  g_free (reader.member_comment);
  g_free (reader.member);
  return ok;
}

KlIpcDocs *
kl_ipc_docs_load_dir (const char *dir, GError **error)
{
  g_autoptr (KlIpcDocs) docs = g_new0 (KlIpcDocs, 1);
  g_autoptr (GDir) handle = g_dir_open (dir, 0, error);
  const char *name;

  if (handle == NULL)
    return NULL;
  docs->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  docs->undocumented = g_ptr_array_new_with_free_func (g_free);
  docs->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  while ((name = g_dir_read_name (handle)) != NULL) {
    if (g_str_has_suffix (name, ".xml") && !load_file (docs, dir, name, error))
      return NULL;
  }
  return g_steal_pointer (&docs);
}

void
kl_ipc_docs_free (KlIpcDocs *docs)
{
  g_clear_pointer (&docs->members, g_hash_table_unref);
  g_clear_pointer (&docs->undocumented, g_ptr_array_unref);
  g_clear_pointer (&docs->keys, g_hash_table_unref);
  g_free (docs);
}
