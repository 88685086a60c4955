/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipd's lines and calls in one ObjectManager call, as property dictionaries. */
#include "kctl.h"

#include <string.h>

#define LINE_PREFIX KCTL_SIP_PATH "/Line/"
#define CALL_PREFIX KCTL_SIP_PATH "/Call/"

gboolean
kctl_parse_number (const char *text, guint min, guint max, guint *ret_value)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    return FALSE;
  *ret_value = (guint)value;
  return TRUE;
}

int
kctl_parse_line (const char *text, guint *ret_index)
{
  if (kctl_parse_number (text, 1, 9, ret_index))
    return KCTL_EXIT_OK;
  return kctl_usage_error ("'%s' is not a line: lines are 1 to 9", text);
}

char *
kctl_line_path (guint index)
{
  return g_strdup_printf (LINE_PREFIX "%u", index);
}

char *
kctl_call_path (guint id)
{
  return g_strdup_printf (CALL_PREFIX "%u", id);
}

static guint
number_after (const char *path, const char *prefix)
{
  guint value = 0;

  if (path == NULL || !g_str_has_prefix (path, prefix)
      || !kctl_parse_number (path + strlen (prefix), 1, G_MAXUINT, &value))
    return 0;
  return value;
}

guint
kctl_sip_line_index_of_path (const char *path)
{
  return number_after (path, LINE_PREFIX);
}

static guint
lookup_uint (GVariant *dict, const char *key)
{
  guint value = 0;

  g_variant_lookup (dict, key, "u", &value);
  return value;
}

static int
by_index (gconstpointer a, gconstpointer b)
{
  guint ia = lookup_uint (*(GVariant **)a, "Index");
  guint ib = lookup_uint (*(GVariant **)b, "Index");

  return (ia > ib) - (ia < ib);
}

static int
by_id (gconstpointer a, gconstpointer b)
{
  guint ia = lookup_uint (*(GVariant **)a, "id");
  guint ib = lookup_uint (*(GVariant **)b, "id");

  return (ia > ib) - (ia < ib);
}

/* The call's properties, with its number and object path in front. */
static GVariant *
call_entry (const char *path, GVariant *properties)
{
  GVariantBuilder entry;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "id",
                         g_variant_new_uint32 (number_after (path, CALL_PREFIX)));
  g_variant_builder_add (&entry, "{sv}", "path", g_variant_new_object_path (path));
  g_variant_iter_init (&iter, properties);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value)) {
    g_variant_builder_add (&entry, "{sv}", key, value);
    g_variant_unref (value);
  }
  return g_variant_ref_sink (g_variant_builder_end (&entry));
}

KctlSip *
kctl_sip_read (Kctl *ctl, GError **error)
{
  g_autoptr (KctlSip) sip = g_new0 (KctlSip, 1);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) objects = NULL;
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  sip->lines = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  sip->calls = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  sip->manager = kctl_get_all (ctl, KCTL_SIP, KCTL_SIP_PATH, KCTL_MANAGER_IFACE, error);
  if (sip->manager == NULL)
    return NULL;
  reply = kctl_call (ctl, KCTL_SIP, KCTL_SIP_PATH, "org.freedesktop.DBus.ObjectManager",
                     "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", error);
  if (reply == NULL)
    return NULL;
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
    g_autoptr (GVariant) line
        = g_variant_lookup_value (interfaces, KCTL_LINE_IFACE, G_VARIANT_TYPE_VARDICT);
    g_autoptr (GVariant) call
        = g_variant_lookup_value (interfaces, KCTL_CALL_IFACE, G_VARIANT_TYPE_VARDICT);

    if (line != NULL)
      g_ptr_array_add (sip->lines, g_steal_pointer (&line));
    if (call != NULL)
      g_ptr_array_add (sip->calls, call_entry (path, call));
    g_variant_unref (interfaces);
  }
  g_ptr_array_sort (sip->lines, by_index);
  g_ptr_array_sort (sip->calls, by_id);
  return g_steal_pointer (&sip);
}

void
kctl_sip_free (KctlSip *sip)
{
  g_clear_pointer (&sip->manager, g_variant_unref);
  g_clear_pointer (&sip->lines, g_ptr_array_unref);
  g_clear_pointer (&sip->calls, g_ptr_array_unref);
  g_free (sip);
}

GVariant *
kctl_sip_line (KctlSip *sip, guint index)
{
  for (guint i = 0; i < sip->lines->len; i++)
    if (lookup_uint (g_ptr_array_index (sip->lines, i), "Index") == index)
      return g_ptr_array_index (sip->lines, i);
  return NULL;
}

GVariant *
kctl_sip_call (KctlSip *sip, guint id)
{
  for (guint i = 0; i < sip->calls->len; i++)
    if (lookup_uint (g_ptr_array_index (sip->calls, i), "id") == id)
      return g_ptr_array_index (sip->calls, i);
  return NULL;
}
