/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GVariant as JSON (RFC 8259): a dictionary whose keys are strings becomes an
 * object, any other array or tuple an array, a variant its value. */
#include "kctl.h"

#include <math.h>

static void
append_string (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++) {
    guchar c = (guchar)*p;

    switch (c) {
    case '"':
      g_string_append (out, "\\\"");
      break;
    case '\\':
      g_string_append (out, "\\\\");
      break;
    case '\n':
      g_string_append (out, "\\n");
      break;
    case '\r':
      g_string_append (out, "\\r");
      break;
    case '\t':
      g_string_append (out, "\\t");
      break;
    default:
      if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char)c); /* D-Bus strings are valid UTF-8 */
    }
  }
  g_string_append_c (out, '"');
}

static gboolean
is_object (GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  return g_variant_type_is_array (type)
         && g_variant_type_is_dict_entry (g_variant_type_element (type))
         && g_variant_type_equal (g_variant_type_key (g_variant_type_element (type)),
                                  G_VARIANT_TYPE_STRING);
}

static void
append_object (GString *out, GVariant *value)
{
  GVariantIter iter;
  GVariant *entry;
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  g_variant_iter_init (&iter, value);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL) {
    g_autoptr (GVariant) key = g_variant_get_child_value (entry, 0);
    g_autoptr (GVariant) item = g_variant_get_child_value (entry, 1);

    if (!first)
      g_string_append_c (out, ',');
    first = FALSE;
    append_string (out, g_variant_get_string (key, NULL));
    g_string_append_c (out, ':');
    kctl_json_append (out, item);
    g_variant_unref (entry);
  }
  g_string_append_c (out, '}');
}

static void
append_array (GString *out, GVariant *value)
{
  gsize n = g_variant_n_children (value);

  g_string_append_c (out, '[');
  for (gsize i = 0; i < n; i++) {
    g_autoptr (GVariant) item = g_variant_get_child_value (value, i);

    if (i > 0)
      g_string_append_c (out, ',');
    kctl_json_append (out, item);
  }
  g_string_append_c (out, ']');
}

static void
append_double (GString *out, double d)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (d)) {
    g_string_append (out, "null");
    return;
  }
  g_string_append (out, g_ascii_dtostr (text, sizeof text, d));
}

void
kctl_json_append (GString *out, GVariant *value)
{
  if (value == NULL) {
    g_string_append (out, "null");
    return;
  }
  switch (g_variant_classify (value)) {
  case G_VARIANT_CLASS_BOOLEAN:
    g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
    break;
  case G_VARIANT_CLASS_BYTE:
    g_string_append_printf (out, "%u", g_variant_get_byte (value));
    break;
  case G_VARIANT_CLASS_INT16:
    g_string_append_printf (out, "%d", g_variant_get_int16 (value));
    break;
  case G_VARIANT_CLASS_UINT16:
    g_string_append_printf (out, "%u", g_variant_get_uint16 (value));
    break;
  case G_VARIANT_CLASS_INT32:
    g_string_append_printf (out, "%d", g_variant_get_int32 (value));
    break;
  case G_VARIANT_CLASS_UINT32:
    g_string_append_printf (out, "%u", g_variant_get_uint32 (value));
    break;
  case G_VARIANT_CLASS_INT64:
    g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (value));
    break;
  case G_VARIANT_CLASS_UINT64:
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (value));
    break;
  case G_VARIANT_CLASS_HANDLE:
    g_string_append_printf (out, "%d", g_variant_get_handle (value));
    break;
  case G_VARIANT_CLASS_DOUBLE:
    append_double (out, g_variant_get_double (value));
    break;
  case G_VARIANT_CLASS_STRING:
  case G_VARIANT_CLASS_OBJECT_PATH:
  case G_VARIANT_CLASS_SIGNATURE:
    append_string (out, g_variant_get_string (value, NULL));
    break;
  case G_VARIANT_CLASS_VARIANT: {
    g_autoptr (GVariant) inner = g_variant_get_variant (value);
    kctl_json_append (out, inner);
    break;
  }
  case G_VARIANT_CLASS_MAYBE: {
    g_autoptr (GVariant) inner = g_variant_get_maybe (value);
    kctl_json_append (out, inner);
    break;
  }
  case G_VARIANT_CLASS_ARRAY:
    if (is_object (value))
      append_object (out, value);
    else
      append_array (out, value);
    break;
  case G_VARIANT_CLASS_TUPLE:
  case G_VARIANT_CLASS_DICT_ENTRY:
    append_array (out, value);
    break;
  }
}

void
kctl_json_print (GVariant *value)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GVariant) owned = g_variant_ref_sink (value);

  kctl_json_append (out, owned);
  g_print ("%s\n", out->str);
}
