/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-dns-source.h"

struct _KlTestDnsSource {
  GPtrArray *lines; /* of GStrv */
  GHashTable *counts; /* "TYPE name" -> count */
  guint total;
  gboolean hold;
  GPtrArray *held; /* of Held */
};

typedef struct {
  char *name;
  KlDnsType type;
  GCancellable *cancellable;
  KlDnsLookupFunc func;
  gpointer user_data;
} Held;

static gboolean
type_from_string (const char *text, KlDnsType *ret_type)
{
  static const KlDnsType types[] = { KL_DNS_TYPE_A, KL_DNS_TYPE_AAAA, KL_DNS_TYPE_SRV, KL_DNS_TYPE_NAPTR,
                                     KL_DNS_TYPE_CNAME, KL_DNS_TYPE_SOA };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    if (g_str_equal (text, kl_dns_type_to_string (types[i]))) {
      *ret_type = types[i];
      return TRUE;
    }
  }
  return FALSE;
}

static guint16
number (const char *text)
{
  return (guint16) g_ascii_strtoull (text, NULL, 10);
}

static KlDnsRecord *
record_from_words (char **w, KlDnsType type)
{
  KlDnsRecord *record = g_new0 (KlDnsRecord, 1);

  record->name = g_strdup (w[0]);
  record->ttl = (guint32) g_ascii_strtoull (w[1], NULL, 10);
  record->type = type;
  switch (type) {
  case KL_DNS_TYPE_A:
  case KL_DNS_TYPE_AAAA:
    record->address = g_inet_address_new_from_string (w[3]);
    g_assert_nonnull (record->address);
    break;
  case KL_DNS_TYPE_SRV:
    record->priority = number (w[3]);
    record->weight = number (w[4]);
    record->port = number (w[5]);
    record->target = g_strdup (g_str_equal (w[6], ".") ? "" : w[6]);
    break;
  case KL_DNS_TYPE_NAPTR:
    record->order = number (w[3]);
    record->preference = number (w[4]);
    record->flags = g_ascii_strdown (w[5], -1);
    record->service = g_ascii_strdown (w[6], -1);
    record->target = g_strdup (w[7]);
    break;
  case KL_DNS_TYPE_CNAME:
  case KL_DNS_TYPE_SOA:
    record->target = g_strdup (w[3]);
    break;
  }
  return record;
}

static void
answer (KlTestDnsSource *self, const char *name, KlDnsType type, KlDnsLookupFunc func, gpointer user_data)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);
  const char *type_name = kl_dns_type_to_string (type);
  g_autoptr (GError) error = NULL;
  g_autoptr (KlDnsRecord) soa = NULL;

  for (guint i = 0; i < self->lines->len; i++) {
    char **w = g_ptr_array_index (self->lines, i);
    KlDnsType line_type;

    if (!g_str_equal (w[0], name))
      continue;
    if (g_strv_length (w) == 3 && g_str_equal (w[1], type_name)) {
      static const struct { const char *name; KlDnsError code; } errors[] = {
        { "NXDOMAIN", KL_DNS_ERROR_NOT_FOUND }, { "NODATA", KL_DNS_ERROR_NO_RECORDS },
        { "SERVFAIL", KL_DNS_ERROR_SERVER_FAILURE }, { "TIMEOUT", KL_DNS_ERROR_TIMEOUT },
        { "MALFORMED", KL_DNS_ERROR_MALFORMED },
      };
      for (guint j = 0; j < G_N_ELEMENTS (errors); j++) {
        if (g_str_equal (w[2], errors[j].name))
          error = g_error_new (KL_DNS_ERROR, errors[j].code, "%s %s: %s", type_name, name, w[2]);
      }
      g_assert_nonnull (error);
      break;
    }
    if (g_strv_length (w) > 3 && type_from_string (w[2], &line_type) && line_type == type)
      g_ptr_array_add (records, record_from_words (w, type));
  }
  if (error == NULL && records->len == 0)
    error = g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND, "%s %s: no such name", type_name, name);
  if (error != NULL && (error->code == KL_DNS_ERROR_NOT_FOUND || error->code == KL_DNS_ERROR_NO_RECORDS)) {
    soa = g_new0 (KlDnsRecord, 1);
    soa->name = g_strdup ("test");
    soa->type = KL_DNS_TYPE_SOA;
    soa->ttl = 60;
    soa->soa_minimum = 60;
    soa->target = g_strdup ("ns.test");
  }
  func (error ? NULL : records, soa, error, user_data);
}

static void
held_free (Held *held)
{
  g_clear_object (&held->cancellable);
  g_free (held->name);
  g_free (held);
}

static void
lookup (gpointer user_data,
        const char *name,
        KlDnsType type,
        GCancellable *cancellable,
        KlDnsLookupFunc func,
        gpointer func_data)
{
  KlTestDnsSource *self = user_data;
  char *key = g_strdup_printf ("%s %s", kl_dns_type_to_string (type), name);

  g_hash_table_insert (self->counts, key, GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts,
                                                                                                   key)) + 1));
  self->total++;
  if (self->hold) {
    Held *held = g_new0 (Held, 1);
    held->name = g_strdup (name);
    held->type = type;
    held->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
    held->func = func;
    held->user_data = func_data;
    g_ptr_array_add (self->held, held);
    return;
  }
  answer (self, name, type, func, func_data);
}

void
kl_test_dns_source_release (KlTestDnsSource *self)
{
  g_autoptr (GPtrArray) held = g_steal_pointer (&self->held);

  self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
  for (guint i = 0; i < held->len; i++) {
    Held *h = g_ptr_array_index (held, i);
    if (g_cancellable_is_cancelled (h->cancellable)) {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      h->func (NULL, NULL, error, h->user_data);
    } else {
      answer (self, h->name, h->type, h->func, h->user_data);
    }
  }
}

void
kl_test_dns_source_hold (KlTestDnsSource *self, gboolean hold)
{
  self->hold = hold;
}

KlDnsSource
kl_test_dns_source_get (KlTestDnsSource *self)
{
  return (KlDnsSource) { lookup, self };
}

void
kl_test_dns_source_add (KlTestDnsSource *self, const char *line)
{
  g_ptr_array_add (self->lines, g_strsplit_set (line, " ", -1));
}

void
kl_test_dns_source_clear (KlTestDnsSource *self)
{
  g_ptr_array_set_size (self->lines, 0);
}

guint
kl_test_dns_source_count (KlTestDnsSource *self, const char *type, const char *name)
{
  g_autofree char *key = g_strdup_printf ("%s %s", type, name);

  return GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, key));
}

guint
kl_test_dns_source_total (KlTestDnsSource *self)
{
  return self->total;
}

KlTestDnsSource *
kl_test_dns_source_new (void)
{
  KlTestDnsSource *self = g_new0 (KlTestDnsSource, 1);

  self->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
  return self;
}

void
kl_test_dns_source_free (KlTestDnsSource *self)
{
  kl_test_dns_source_release (self);
  g_ptr_array_unref (self->held);
  g_ptr_array_unref (self->lines);
  g_hash_table_unref (self->counts);
  g_free (self);
}
