/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kctl-text.h"

#include "kctl.h"

const char *
kctl_str (GVariant *dict, const char *key)
{
  const char *value = "";

  if (dict != NULL && !g_variant_lookup (dict, key, "&s", &value))
    g_variant_lookup (dict, key, "&o", &value);
  return value;
}

guint
kctl_uint (GVariant *dict, const char *key)
{
  guint value = 0;

  if (dict != NULL)
    g_variant_lookup (dict, key, "u", &value);
  return value;
}

gint
kctl_int (GVariant *dict, const char *key)
{
  gint value = -1;

  if (dict != NULL)
    g_variant_lookup (dict, key, "i", &value);
  return value;
}

gboolean
kctl_bool (GVariant *dict, const char *key)
{
  gboolean value = FALSE;

  if (dict != NULL)
    g_variant_lookup (dict, key, "b", &value);
  return value;
}

const char *
kctl_or_none (const char *text)
{
  return text && *text ? text : "-";
}

/* "reg-id 1 tcp 127.0.0.1:40312 -> 127.0.15.2:5060 active, keep-alive 90 s, rtt 3 ms",
 * or "proxy tcp …" for the flow to a proxy that is not the registrar */
char *
kctl_flow_text (GVariant *flow)
{
  GString *text = g_string_new (NULL);
  guint keepalive_s = kctl_uint (flow, "keep-alive-s");
  gint rtt_ms = kctl_int (flow, "rtt-ms");
  guint failures = kctl_uint (flow, "failures");

  if (g_strcmp0 (kctl_str (flow, "purpose"), "proxy") == 0)
    g_string_append (text, "proxy ");
  else
    g_string_append_printf (text, "reg-id %u ", kctl_uint (flow, "reg-id"));
  g_string_append_printf (text, "%s %s -> %s %s", kctl_str (flow, "transport"), kctl_or_none (kctl_str (flow, "local")),
                          kctl_str (flow, "remote"), kctl_str (flow, "state"));
  if (keepalive_s > 0)
    g_string_append_printf (text, ", keep-alive %u s", keepalive_s);
  if (rtt_ms >= 0)
    g_string_append_printf (text, ", rtt %d ms", rtt_ms);
  if (failures > 0)
    g_string_append_printf (text, ", %u failures, last: %s", failures,
                            kctl_str (flow, "last-failure"));
  return g_string_free (text, FALSE);
}

static char *
duration_text (gint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                            (int)(seconds / 60 % 60), (int)(seconds % 60));
  return g_strdup_printf ("%d:%02d", (int)(seconds / 60), (int)(seconds % 60));
}

/* "call 2  line 1  outgoing  active  sip:1002@pbx  0:42" */
char *
kctl_call_text (GVariant *call)
{
  const char *state = kctl_str (call, "State");
  const char *name = kctl_str (call, "RemoteDisplayName");
  gint64 start_us = 0;
  g_autofree char *when = NULL;
  g_autofree char *remote = NULL;

  g_variant_lookup (call, "StartTime", "x", &start_us);
  if (g_str_equal (state, "ended"))
    when = g_strdup (kctl_str (call, "EndReason"));
  else if (start_us > 0)
    when = duration_text (MAX (0, (g_get_real_time () - start_us) / G_USEC_PER_SEC));
  remote = *name ? g_strdup_printf ("\"%s\" <%s>", name, kctl_str (call, "RemoteUri"))
                 : g_strdup (kctl_str (call, "RemoteUri"));
  return g_strdup_printf ("call %u  line %u  %s  %s  %s%s%s", kctl_uint (call, "id"),
                          kctl_sip_line_index_of_path (kctl_str (call, "Line")),
                          kctl_str (call, "Direction"), state, remote, when ? "  " : "",
                          when ? when : "");
}

GVariant *
kctl_array_of (GPtrArray *dicts)
{
  return g_variant_new_array (G_VARIANT_TYPE_VARDICT, (GVariant **)dicts->pdata, dicts->len);
}
