/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-lookup.h"

struct _SipdLookup {
  GCancellable *cancellable;
  SipdLookupFunc func;
  gpointer user_data;
};

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SipdLookup *lookup = user_data;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (!g_cancellable_is_cancelled (lookup->cancellable))
    lookup->func (addresses ? addresses->data : NULL, error ? error->message : NULL, lookup->user_data);
  g_resolver_free_addresses (addresses);
  g_object_unref (lookup->cancellable);
  g_free (lookup);
}

SipdLookup *
sipd_lookup_start (const char *host, SipdLookupFunc func, gpointer user_data)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);
  SipdLookup *lookup;

  if (address != NULL) {
    func (address, NULL, user_data);
    return NULL;
  }
  lookup = g_new0 (SipdLookup, 1);
  lookup->cancellable = g_cancellable_new ();
  lookup->func = func;
  lookup->user_data = user_data;
  g_resolver_lookup_by_name_async (g_resolver_get_default (), host, lookup->cancellable, on_resolved, lookup);
  return lookup;
}

/* The lookup is freed once GResolver has returned. */
void
sipd_lookup_cancel (SipdLookup *lookup)
{
  if (lookup != NULL)
    g_cancellable_cancel (lookup->cancellable);
}
