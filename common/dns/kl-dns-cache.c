/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-dns-cache"

#include "kl-dns-cache.h"

typedef struct {
  GPtrArray *records; /* NULL for a negative answer */
  GError *error;      /* the negative answer */
  gint64 expires_ms;
} Entry;

struct _KlDnsCache {
  GHashTable *entries; /* "TYPE name" -> Entry */
};

static void
entry_free (Entry *entry)
{
  g_clear_pointer (&entry->records, g_ptr_array_unref);
  g_clear_error (&entry->error);
  g_free (entry);
}

static char *
key_of (const char *name, KlDnsType type)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_strdup_printf ("%s %s", kl_dns_type_to_string (type), lower);
}

static gint64
clamp_ttl_ms (guint32 ttl_s, guint32 max_s)
{
  return (gint64) CLAMP (ttl_s, KL_DNS_CACHE_MIN_TTL_S, max_s) * 1000;
}

/* Full: the entry that would expire first makes room. */
static void
make_room (KlDnsCache *self, gint64 now_ms)
{
  GHashTableIter iter;
  gpointer key, value;
  gpointer soonest = NULL;
  gint64 soonest_ms = G_MAXINT64;

  kl_dns_cache_expire (self, now_ms);
  if (g_hash_table_size (self->entries) < KL_DNS_CACHE_MAX_ENTRIES)
    return;
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Entry *entry = value;
    if (entry->expires_ms < soonest_ms) {
      soonest_ms = entry->expires_ms;
      soonest = key;
    }
  }
  g_hash_table_remove (self->entries, soonest);
}

static void
store (KlDnsCache *self, const char *name, KlDnsType type, Entry *entry, gint64 now_ms)
{
  char *key = key_of (name, type);

  g_hash_table_remove (self->entries, key);
  make_room (self, now_ms);
  g_debug ("keeping %s for %" G_GINT64_FORMAT " s", key, (entry->expires_ms - now_ms) / 1000);
  g_hash_table_insert (self->entries, key, entry);
}

void
kl_dns_cache_put (KlDnsCache *self, const char *name, KlDnsType type, const GPtrArray *records, gint64 now_ms)
{
  guint32 ttl_s = G_MAXUINT32;
  Entry *entry;

  g_return_if_fail (records != NULL && records->len > 0);

  for (guint i = 0; i < records->len; i++)
    ttl_s = MIN (ttl_s, ((const KlDnsRecord *) g_ptr_array_index (records, i))->ttl);
  if (ttl_s == 0) {
    g_autofree char *key = key_of (name, type);
    g_hash_table_remove (self->entries, key);
    return;
  }
  entry = g_new0 (Entry, 1);
  entry->records = g_ptr_array_new_full (records->len, (GDestroyNotify) kl_dns_record_free);
  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (entry->records, kl_dns_record_copy (g_ptr_array_index (records, i)));
  entry->expires_ms = now_ms + clamp_ttl_ms (ttl_s, KL_DNS_CACHE_MAX_TTL_S);
  store (self, name, type, entry, now_ms);
}

void
kl_dns_cache_put_negative (KlDnsCache *self,
                                const char *name,
                                KlDnsType type,
                                const GError *error,
                                const KlDnsRecord *soa,
                                gint64 now_ms)
{
  Entry *entry;
  guint32 ttl_s;

  if (soa == NULL || !(g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND) ||
                       g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS)))
    return;
  ttl_s = MIN (soa->ttl, soa->soa_minimum);
  if (ttl_s == 0) {
    g_autofree char *key = key_of (name, type);
    g_hash_table_remove (self->entries, key);
    return;
  }
  entry = g_new0 (Entry, 1);
  entry->error = g_error_copy (error);
  entry->expires_ms = now_ms + clamp_ttl_ms (ttl_s, KL_DNS_CACHE_MAX_NEGATIVE_TTL_S);
  store (self, name, type, entry, now_ms);
}

gboolean
kl_dns_cache_lookup (KlDnsCache *self,
                          const char *name,
                          KlDnsType type,
                          gint64 now_ms,
                          GPtrArray **ret_records,
                          GError **ret_error)
{
  g_autofree char *key = key_of (name, type);
  Entry *entry = g_hash_table_lookup (self->entries, key);
  GPtrArray *records;
  guint32 left_s;

  if (entry == NULL)
    return FALSE;
  if (entry->expires_ms <= now_ms) {
    g_hash_table_remove (self->entries, key);
    return FALSE;
  }
  if (entry->error != NULL) {
    g_propagate_error (ret_error, g_error_copy (entry->error));
    return TRUE;
  }
  left_s = (guint32) ((entry->expires_ms - now_ms) / 1000);
  records = g_ptr_array_new_full (entry->records->len, (GDestroyNotify) kl_dns_record_free);
  for (guint i = 0; i < entry->records->len; i++) {
    KlDnsRecord *copy = kl_dns_record_copy (g_ptr_array_index (entry->records, i));
    copy->ttl = left_s;
    g_ptr_array_add (records, copy);
  }
  *ret_records = records;
  return TRUE;
}

gint64
kl_dns_cache_next_expiry_ms (KlDnsCache *self)
{
  GHashTableIter iter;
  gpointer value;
  gint64 next = -1;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Entry *entry = value;
    if (next < 0 || entry->expires_ms < next)
      next = entry->expires_ms;
  }
  return next;
}

guint
kl_dns_cache_expire (KlDnsCache *self, gint64 now_ms)
{
  GHashTableIter iter;
  gpointer value;
  guint removed = 0;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (((Entry *) value)->expires_ms <= now_ms) {
      g_hash_table_iter_remove (&iter);
      removed++;
    }
  }
  return removed;
}

guint
kl_dns_cache_get_size (KlDnsCache *self)
{
  return g_hash_table_size (self->entries);
}

KlDnsCache *
kl_dns_cache_new (void)
{
  KlDnsCache *self = g_new0 (KlDnsCache, 1);

  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  return self;
}

void
kl_dns_cache_free (KlDnsCache *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->entries);
  g_free (self);
}
