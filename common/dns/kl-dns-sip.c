/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-dns-sip"

#include "kl-dns-sip.h"

#include <string.h>

/* An SRV target, or the server's own name: its addresses once looked up. */
typedef struct {
  char *name;
  guint16 port;
  guint16 priority;
  guint16 weight;
  GPtrArray *addresses[2]; /* of GInetAddress: [0] A, [1] AAAA */
  GError *error;           /* why A gave none */
  gboolean unanswered;     /* a lookup of it had no usable answer */
} Host;

typedef struct {
  KlDnsSource source;
  char *name;
  guint16 port;
  KlTransport transport;
  guint32 seed;
  GCancellable *cancellable;
  KlSipResolveFunc func;
  gpointer user_data;

  guint32 ttl_s;
  GString *path;
  GPtrArray *hosts; /* of Host */
  guint pending;    /* address lookups not answered yet */
  gboolean issuing; /* the lookups are still being asked */
  GError *error;    /* the first failure that was not a plain "no such record" */
  gboolean cancelled;
} Resolve;

typedef struct {
  Resolve *resolve;
  Host *host;
  gboolean v6;
} AddressLookup;

static const char *const naptr_services[] = {
  [KL_TRANSPORT_UDP] = "sip+d2u",
  [KL_TRANSPORT_TCP] = "sip+d2t",
  [KL_TRANSPORT_TLS] = "sips+d2t",
};

static const char *const srv_prefixes[] = {
  [KL_TRANSPORT_UDP] = "_sip._udp.",
  [KL_TRANSPORT_TCP] = "_sip._tcp.",
  [KL_TRANSPORT_TLS] = "_sips._tcp.",
};

/* Targets */

static KlSipTarget *
target_new (const char *host, GInetAddress *address, guint16 port, guint16 priority, guint16 weight)
{
  KlSipTarget *target = g_new0 (KlSipTarget, 1);

  target->host = g_strdup (host);
  target->address = g_object_ref (address);
  target->port = port;
  target->priority = priority;
  target->weight = weight;
  return target;
}

static void
target_free (KlSipTarget *target)
{
  g_object_unref (target->address);
  g_free (target->host);
  g_free (target);
}

KlSipTargets *
kl_sip_targets_new (guint32 ttl_s, const char *path)
{
  KlSipTargets *targets = g_new0 (KlSipTargets, 1);

  targets->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  targets->ttl_s = ttl_s;
  targets->path = g_strdup (path);
  return targets;
}

/* An address is its own target, at the transport's port unless one is given,
 * and never expires. */
KlSipTargets *
kl_sip_targets_for_address (const char *host, GInetAddress *address, guint16 port, KlTransport transport)
{
  KlSipTargets *targets = kl_sip_targets_new (G_MAXUINT32, "address");

  kl_sip_targets_add (targets, host, address, port ? port : kl_transport_default_port (transport), 0, 0);
  return targets;
}

void
kl_sip_targets_add (KlSipTargets *targets,
                    const char *host,
                    GInetAddress *address,
                    guint16 port,
                    guint16 priority,
                    guint16 weight)
{
  g_ptr_array_add (targets->targets, target_new (host, address, port, priority, weight));
}

void
kl_sip_targets_free (KlSipTargets *targets)
{
  if (targets == NULL)
    return;
  g_ptr_array_unref (targets->targets);
  g_free (targets->path);
  g_free (targets->incomplete);
  g_strfreev (targets->left_out);
  g_free (targets);
}

KlSipTargets *
kl_sip_targets_copy (const KlSipTargets *targets)
{
  KlSipTargets *copy = kl_sip_targets_new (targets->ttl_s, targets->path);

  for (guint i = 0; i < targets->targets->len; i++) {
    const KlSipTarget *t = g_ptr_array_index (targets->targets, i);
    kl_sip_targets_add (copy, t->host, t->address, t->port, t->priority, t->weight);
  }
  copy->incomplete = g_strdup (targets->incomplete);
  copy->left_out = g_strdupv (targets->left_out);
  return copy;
}

void
kl_sip_targets_fill_in (KlSipTargets *targets, const KlSipTargets *earlier)
{
  if (targets->left_out == NULL || earlier == NULL)
    return;
  for (guint i = 0; i < earlier->targets->len; i++) {
    const KlSipTarget *t = g_ptr_array_index (earlier->targets, i);
    guint at = 0;

    if (!g_strv_contains ((const char *const *) targets->left_out, t->host))
      continue;
    while (at < targets->targets->len &&
           ((const KlSipTarget *) g_ptr_array_index (targets->targets, at))->priority <= t->priority)
      at++;
    g_ptr_array_insert (targets->targets, at, target_new (t->host, t->address, t->port, t->priority, t->weight));
  }
}

char *
kl_sip_targets_to_string (const KlSipTargets *targets)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < targets->targets->len; i++) {
    const KlSipTarget *target = g_ptr_array_index (targets->targets, i);
    g_autofree char *address = g_inet_address_to_string (target->address);
    gboolean v6 = g_inet_address_get_family (target->address) == G_SOCKET_FAMILY_IPV6;

    g_string_append_printf (text, v6 ? "%s[%s]:%u" : "%s%s:%u", i ? ", " : "", address, target->port);
  }
  return g_string_free (text, FALSE);
}

gboolean
kl_sip_targets_equal (const KlSipTargets *a, const KlSipTargets *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->targets->len != b->targets->len)
    return FALSE;
  for (guint i = 0; i < a->targets->len; i++) {
    const KlSipTarget *x = g_ptr_array_index (a->targets, i);
    const KlSipTarget *y = g_ptr_array_index (b->targets, i);
    if (x->port != y->port || !g_inet_address_equal (x->address, y->address))
      return FALSE;
  }
  return TRUE;
}

/* RFC 2782 order */

static int
compare_srv (gconstpointer a, gconstpointer b)
{
  const KlDnsRecord *x = *(const KlDnsRecord *const *) a;
  const KlDnsRecord *y = *(const KlDnsRecord *const *) b;
  int by_target;

  if (x->priority != y->priority)
    return x->priority < y->priority ? -1 : 1;
  if ((x->weight == 0) != (y->weight == 0))
    return x->weight == 0 ? -1 : 1; /* weight 0 first, as the lottery wants */
  by_target = g_strcmp0 (x->target, y->target);
  if (by_target != 0)
    return by_target;
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  return x->weight < y->weight ? -1 : x->weight > y->weight;
}

void
kl_sip_order_srv (GPtrArray *records, guint32 seed)
{
  g_autoptr (GRand) rand = NULL;
  guint start = 0;

  if (records->len == 0)
    return;
  g_ptr_array_sort (records, compare_srv);
  rand = g_rand_new_with_seed (seed ^ g_str_hash (((KlDnsRecord *) g_ptr_array_index (records, 0))->name));
  while (start < records->len) {
    guint16 priority = ((KlDnsRecord *) g_ptr_array_index (records, start))->priority;
    guint end = start;

    while (end < records->len && ((KlDnsRecord *) g_ptr_array_index (records, end))->priority == priority)
      end++;
    for (guint next = start; next + 1 < end; next++) {
      guint32 sum = 0;
      guint32 draw;
      guint32 running = 0;
      guint chosen = next;

      for (guint i = next; i < end; i++)
        sum += ((KlDnsRecord *) g_ptr_array_index (records, i))->weight;
      draw = (guint32) g_rand_double_range (rand, 0, (double) sum + 1);
      for (guint i = next; i < end; i++) {
        running += ((KlDnsRecord *) g_ptr_array_index (records, i))->weight;
        if (running >= draw) {
          chosen = i;
          break;
        }
      }
      g_ptr_array_insert (records, (gint) next, g_ptr_array_steal_index (records, chosen));
    }
    start = end;
  }
}

/* Resolution */

static void
host_free (Host *host)
{
  g_ptr_array_unref (host->addresses[0]);
  g_ptr_array_unref (host->addresses[1]);
  g_clear_error (&host->error);
  g_free (host->name);
  g_free (host);
}

static Host *
host_new (const char *name, guint16 port, guint16 priority, guint16 weight)
{
  Host *host = g_new0 (Host, 1);

  host->name = g_strdup (name);
  host->port = port;
  host->priority = priority;
  host->weight = weight;
  host->addresses[0] = g_ptr_array_new_with_free_func (g_object_unref);
  host->addresses[1] = g_ptr_array_new_with_free_func (g_object_unref);
  return host;
}

static void
resolve_free (Resolve *resolve)
{
  g_ptr_array_unref (resolve->hosts);
  g_string_free (resolve->path, TRUE);
  g_clear_error (&resolve->error);
  g_clear_object (&resolve->cancellable);
  g_free (resolve->name);
  g_free (resolve);
}

static void
finish (Resolve *resolve, KlSipTargets *targets, const GError *error)
{
  resolve->func (targets, error, resolve->user_data);
  resolve_free (resolve);
}

static void
fail (Resolve *resolve, const GError *error)
{
  finish (resolve, NULL, error);
}

static void
note_ttl (Resolve *resolve, const GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    resolve->ttl_s = MIN (resolve->ttl_s, ((const KlDnsRecord *) g_ptr_array_index (records, i))->ttl);
}

/* A negative answer is a step of the procedure; anything else is worth
 * reporting if nothing is found in the end. */
static gboolean
is_negative (const GError *error)
{
  return g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_NOT_FOUND) ||
         g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS);
}

/* No answer at all: the next steps would wait as long for nothing. */
static gboolean
is_unreachable (const GError *error)
{
  return g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_TIMEOUT) ||
         g_error_matches (error, KL_DNS_ERROR, KL_DNS_ERROR_NETWORK) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
note_error (Resolve *resolve, const GError *error)
{
  if (resolve->error == NULL && !is_negative (error))
    resolve->error = g_error_copy (error);
}

/* Some lookup had no usable answer: the answer says so, and names the SRV
 * targets it left out for that. */
static void
note_incomplete (Resolve *resolve, KlSipTargets *targets)
{
  g_autoptr (GStrvBuilder) left_out = g_strv_builder_new ();
  g_autofree char *path = g_strdup_printf ("%s; incomplete: %s", targets->path, resolve->error->message);
  gboolean any = FALSE;

  for (guint i = 0; i < resolve->hosts->len; i++) {
    Host *host = g_ptr_array_index (resolve->hosts, i);

    if (host->unanswered && host->addresses[0]->len == 0 && host->addresses[1]->len == 0) {
      g_strv_builder_add (left_out, host->name);
      any = TRUE;
    }
  }
  g_free (targets->path);
  targets->path = g_steal_pointer (&path);
  targets->incomplete = g_strdup (resolve->error->message);
  if (any)
    targets->left_out = g_strv_builder_end (left_out);
}

static void
finish_hosts (Resolve *resolve)
{
  g_autoptr (KlSipTargets) targets = kl_sip_targets_new (resolve->ttl_s, resolve->path->str);
  g_autoptr (GError) error = NULL;

  if (resolve->cancelled) {
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    fail (resolve, error);
    return;
  }
  for (guint i = 0; i < resolve->hosts->len; i++) {
    Host *host = g_ptr_array_index (resolve->hosts, i);
    for (guint family = 0; family < 2; family++) {
      for (guint j = 0; j < host->addresses[family]->len; j++)
        kl_sip_targets_add (targets, host->name, g_ptr_array_index (host->addresses[family], j), host->port,
                            host->priority, host->weight);
    }
  }
  if (targets->targets->len == 0) {
    Host *first = g_ptr_array_index (resolve->hosts, 0);

    if (resolve->error == NULL && first->error == NULL)
      first->error = g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS, "%s: no addresses", first->name);
    fail (resolve, resolve->error ? resolve->error : first->error);
    return;
  }
  if (resolve->error != NULL)
    note_incomplete (resolve, targets);
  finish (resolve, targets, NULL);
}

static void
on_address (const GPtrArray *records, const KlDnsRecord *soa, const GError *error, gpointer user_data)
{
  AddressLookup *lookup = user_data;
  Resolve *resolve = lookup->resolve;
  Host *host = lookup->host;

  if (records != NULL) {
    note_ttl (resolve, records);
    for (guint i = 0; i < records->len; i++)
      g_ptr_array_add (host->addresses[lookup->v6],
                       g_object_ref (((const KlDnsRecord *) g_ptr_array_index (records, i))->address));
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    resolve->cancelled = TRUE;
  } else {
    if (!lookup->v6 && host->error == NULL)
      host->error = g_error_copy (error);
    host->unanswered |= !is_negative (error);
    note_error (resolve, error);
  }
  g_free (lookup);
  if (--resolve->pending == 0 && !resolve->issuing)
    finish_hosts (resolve);
}

static void
look_up_hosts (Resolve *resolve)
{
  static const KlDnsType types[] = { KL_DNS_TYPE_A, KL_DNS_TYPE_AAAA };

  g_string_append (resolve->path, resolve->path->len ? ", A/AAAA" : "A/AAAA");
  resolve->issuing = TRUE;
  for (guint i = 0; i < resolve->hosts->len; i++) {
    for (guint family = 0; family < 2; family++) {
      AddressLookup *lookup = g_new0 (AddressLookup, 1);
      Host *host = g_ptr_array_index (resolve->hosts, i);

      lookup->resolve = resolve;
      lookup->host = host;
      lookup->v6 = family == 1;
      resolve->pending++;
      resolve->source.lookup (resolve->source.self, host->name, types[family], resolve->cancellable, on_address,
                              lookup);
    }
  }
  resolve->issuing = FALSE;
  if (resolve->pending == 0)
    finish_hosts (resolve);
}

static void
look_up_name_itself (Resolve *resolve)
{
  g_ptr_array_add (resolve->hosts, host_new (resolve->name, kl_transport_default_port (resolve->transport), 0, 0));
  look_up_hosts (resolve);
}

static void
on_srv (const GPtrArray *records, const KlDnsRecord *soa, const GError *error, gpointer user_data)
{
  Resolve *resolve = user_data;
  g_autoptr (GPtrArray) offered = NULL;

  if (records == NULL) {
    if (is_unreachable (error)) {
      fail (resolve, error);
      return;
    }
    note_error (resolve, error);
    look_up_name_itself (resolve);
    return;
  }
  note_ttl (resolve, records);
  offered = g_ptr_array_new ();
  for (guint i = 0; i < records->len; i++) {
    KlDnsRecord *record = g_ptr_array_index (records, i);
    if (*record->target != '\0') /* "." says: not offered here */
      g_ptr_array_add (offered, record);
  }
  if (offered->len == 0) {
    g_autoptr (GError) none = g_error_new (KL_DNS_ERROR, KL_DNS_ERROR_NO_RECORDS,
                                           "SRV %s: the service is not offered (target \".\")",
                                           ((KlDnsRecord *) g_ptr_array_index (records, 0))->name);
    fail (resolve, none);
    return;
  }
  kl_sip_order_srv (offered, resolve->seed);
  for (guint i = 0; i < offered->len; i++) {
    KlDnsRecord *record = g_ptr_array_index (offered, i);
    g_ptr_array_add (resolve->hosts, host_new (record->target, record->port, record->priority, record->weight));
  }
  look_up_hosts (resolve);
}

static void
look_up_srv (Resolve *resolve, const char *name)
{
  g_string_append_printf (resolve->path, "%sSRV %s", resolve->path->len ? ", " : "", name);
  resolve->source.lookup (resolve->source.self, name, KL_DNS_TYPE_SRV, resolve->cancellable, on_srv, resolve);
}

static int
compare_naptr (gconstpointer a, gconstpointer b)
{
  const KlDnsRecord *x = *(const KlDnsRecord *const *) a;
  const KlDnsRecord *y = *(const KlDnsRecord *const *) b;

  if (x->order != y->order)
    return x->order < y->order ? -1 : 1;
  return x->preference < y->preference ? -1 : x->preference > y->preference;
}

static void
on_naptr (const GPtrArray *records, const KlDnsRecord *soa, const GError *error, gpointer user_data)
{
  Resolve *resolve = user_data;
  g_autofree char *srv_name = g_strconcat (srv_prefixes[resolve->transport], resolve->name, NULL);
  g_autoptr (GPtrArray) sorted = NULL;

  if (records == NULL) {
    if (is_unreachable (error)) {
      fail (resolve, error);
      return;
    }
    note_error (resolve, error);
    look_up_srv (resolve, srv_name);
    return;
  }
  note_ttl (resolve, records);
  sorted = g_ptr_array_sized_new (records->len);
  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (records, i));
  g_ptr_array_sort (sorted, compare_naptr);
  for (guint i = 0; i < sorted->len; i++) {
    KlDnsRecord *record = g_ptr_array_index (sorted, i);

    if (g_str_equal (record->flags, "s") && g_str_equal (record->service, naptr_services[resolve->transport]) &&
        *record->target != '\0') {
      g_autofree char *service = g_ascii_strup (record->service, -1);
      g_string_append_printf (resolve->path, "NAPTR %s", service);
      look_up_srv (resolve, record->target);
      return;
    }
  }
  /* records, but none for this transport: the SRV name of the transport may still answer */
  g_string_append_printf (resolve->path, "NAPTR without %s", naptr_services[resolve->transport]);
  look_up_srv (resolve, srv_name);
}

void
kl_sip_resolve (const KlDnsSource *source,
                const char *host,
                guint16 port,
                KlTransport transport,
                guint32 seed,
                GCancellable *cancellable,
                KlSipResolveFunc func,
                gpointer user_data)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);
  Resolve *resolve;

  if (address != NULL) {
    g_autoptr (KlSipTargets) targets = kl_sip_targets_for_address (host, address, port, transport);
    func (targets, NULL, user_data);
    return;
  }

  resolve = g_new0 (Resolve, 1);
  resolve->source = *source;
  resolve->name = g_ascii_strdown (host, -1);
  resolve->port = port;
  resolve->transport = transport;
  resolve->seed = seed;
  resolve->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  resolve->func = func;
  resolve->user_data = user_data;
  resolve->ttl_s = G_MAXUINT32;
  resolve->path = g_string_new (NULL);
  resolve->hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) host_free);
  if (port != 0) {
    g_ptr_array_add (resolve->hosts, host_new (resolve->name, port, 0, 0));
    look_up_hosts (resolve);
    return;
  }
  resolve->source.lookup (resolve->source.self, resolve->name, KL_DNS_TYPE_NAPTR, resolve->cancellable, on_naptr,
                          resolve);
}
