/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-resolver"

#include "sipd-resolver.h"

#include "kl-dns-client.h"

struct _SipdResolver {
  KlDnsClient *client;
  guint32 seed;
  KlDnsSource source; /* the client's, or a test's */
  SipdNetmon *netmon;
};

/* Freed when the resolution it waits for returns, cancelled or not. */
struct _SipdResolverLookup {
  SipdResolver *resolver;
  char *host;
  guint16 port;
  KlTransport transport;
  GCancellable *cancellable;
  SipdResolverFunc func;
  gpointer user_data;
  gboolean starting; /* sipd_resolver_lookup() has not returned yet */
  gboolean answered; /* while starting: a source answered at once */
};

static void
lookup_free (SipdResolverLookup *lookup)
{
  g_object_unref (lookup->cancellable);
  g_free (lookup->host);
  g_free (lookup);
}

static void
on_resolved (KlSipTargets *targets, const GError *error, gpointer user_data)
{
  SipdResolverLookup *lookup = user_data;

  if (!g_cancellable_is_cancelled (lookup->cancellable))
    lookup->func (targets, error ? error->message : NULL, lookup->user_data);
  if (lookup->starting)
    lookup->answered = TRUE; /* sipd_resolver_lookup() frees it and returns NULL */
  else
    lookup_free (lookup);
}

static void
resolve_alone (SipdResolverLookup *lookup)
{
  kl_sip_resolve (&lookup->resolver->source, lookup->host, lookup->port, lookup->transport, lookup->resolver->seed,
                  lookup->cancellable, on_resolved, lookup);
}

static void
on_netmon_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SipdResolverLookup *lookup = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KlSipTargets) targets = NULL;
  gboolean answered;

  if (g_cancellable_is_cancelled (lookup->cancellable)) {
    lookup_free (lookup);
    return;
  }
  targets = sipd_netmon_resolve_finish (source, lookup->host, result, &answered, &error);
  if (targets == NULL && !answered) {
    g_message ("netmond could not be asked about %s (%s): resolving it alone", lookup->host, error->message);
    resolve_alone (lookup);
    return;
  }
  on_resolved (targets, error, lookup);
}

SipdResolverLookup *
sipd_resolver_lookup (SipdResolver *resolver,
                   const SipdServer *server,
                   KlTransport transport,
                   SipdResolverFunc func,
                   gpointer user_data)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (server->host);
  SipdResolverLookup *lookup;

  if (address != NULL) {
    g_autoptr (KlSipTargets) targets = kl_sip_targets_for_address (server->host, address, server->port,
                                                                   transport);
    func (targets, NULL, user_data);
    return NULL;
  }
  lookup = g_new0 (SipdResolverLookup, 1);
  lookup->resolver = resolver;
  lookup->host = g_strdup (server->host);
  lookup->port = server->port;
  lookup->transport = transport;
  lookup->cancellable = g_cancellable_new ();
  lookup->func = func;
  lookup->user_data = user_data;
  lookup->starting = TRUE;
  if (sipd_netmon_is_present (resolver->netmon))
    sipd_netmon_resolve (resolver->netmon, lookup->host, lookup->port, lookup->transport, lookup->cancellable,
                         on_netmon_answer, lookup);
  else
    resolve_alone (lookup);
  lookup->starting = FALSE;
  if (lookup->answered) {
    lookup_free (lookup);
    return NULL;
  }
  return lookup;
}

void
sipd_resolver_lookup_cancel (SipdResolverLookup *lookup)
{
  if (lookup != NULL)
    g_cancellable_cancel (lookup->cancellable);
}

SipdResolver *
sipd_resolver_new (KlClock *clock, GInetSocketAddress *dns_server, guint32 seed)
{
  SipdResolver *self = g_new0 (SipdResolver, 1);

  self->client = kl_dns_client_new (clock, dns_server, NULL);
  self->source = kl_dns_client_get_source (self->client);
  self->seed = seed;
  return self;
}

void
sipd_resolver_set_source (SipdResolver *self, const KlDnsSource *source)
{
  self->source = *source;
}

void
sipd_resolver_set_netmon (SipdResolver *self, SipdNetmon *netmon)
{
  self->netmon = netmon;
}

void
sipd_resolver_free (SipdResolver *self)
{
  if (self == NULL)
    return;
  kl_dns_client_free (self->client);
  g_free (self);
}
