/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-net-facts.h"

#include <string.h>

struct _KlNetFacts {
  GHashTable *up;        /* names of the links that are up */
  GHashTable *addresses; /* "name address/prefix" */
};

KlNetFacts *
kl_net_facts_new (GVariant *links)
{
  KlNetFacts *self = g_new0 (KlNetFacts, 1);
  GVariantIter iter;
  const char *name;
  const char *state;
  GVariantIter *addresses;

  self->up = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_variant_iter_init (&iter, links);
  while (g_variant_iter_next (&iter, "(&s&sas)", &name, &state, &addresses)) {
    const char *address;

    if (g_str_equal (state, "up"))
      g_hash_table_add (self->up, g_strdup (name));
    while (g_variant_iter_next (addresses, "&s", &address))
      g_hash_table_add (self->addresses, g_strdup_printf ("%s %s", name, address));
    g_variant_iter_free (addresses);
  }
  return self;
}

void
kl_net_facts_free (KlNetFacts *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->up);
  g_hash_table_unref (self->addresses);
  g_free (self);
}

static gboolean
has_new (GHashTable *before, GHashTable *after)
{
  GHashTableIter iter;
  gpointer fact;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &fact, NULL)) {
    if (!g_hash_table_contains (before, fact))
      return TRUE;
  }
  return FALSE;
}

gboolean
kl_net_facts_gained (const KlNetFacts *before, const KlNetFacts *after)
{
  return before != NULL && (has_new (before->up, after->up) || has_new (before->addresses, after->addresses));
}

gboolean
kl_net_facts_lost (const KlNetFacts *before, const KlNetFacts *after)
{
  return before != NULL && (has_new (after->up, before->up) || has_new (after->addresses, before->addresses));
}

gboolean
kl_net_facts_has_address (const KlNetFacts *self, GInetAddress *address)
{
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer fact;
  gsize length;

  if (g_inet_address_get_is_any (address))
    return FALSE;
  text = g_inet_address_to_string (address);
  length = strlen (text);
  g_hash_table_iter_init (&iter, self->addresses);
  while (g_hash_table_iter_next (&iter, &fact, NULL)) {
    const char *address_part = strchr (fact, ' ') + 1;
    if (strncmp (address_part, text, length) == 0 && address_part[length] == '/')
      return TRUE;
  }
  return FALSE;
}
