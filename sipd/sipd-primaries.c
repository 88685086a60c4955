/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-primaries"

#include "sipd-primaries.h"

struct _SipdPrimaries {
  SipdLineContext *context;
  const SipdLineSettings *settings;
  SipdPrimaryBackFunc back;
  gpointer user_data;
  gboolean failed[SIPD_N_ROLES];
  GPtrArray *probes; /* keepers, one per failed primary */
};

static gboolean
same_server (const SipdServer *a, const SipdServer *b)
{
  return a->host != NULL && g_strcmp0 (a->host, b->host) == 0 && a->port == b->port;
}

static void
mark (SipdPrimaries *self, const SipdServer *server, gboolean failed)
{
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    if (same_server (&self->settings->servers[role][0], server))
      self->failed[role] = failed;
  }
}

static void
on_probe_changed (SipdFlowKeeper *probe, gpointer user_data)
{
  SipdPrimaries *self = user_data;
  g_autofree char *host = NULL;
  guint index;

  if (!sipd_flow_keeper_is_up (probe) || !g_ptr_array_find (self->probes, probe, &index))
    return;
  host = g_strdup (sipd_flow_keeper_get_server (probe)->host);
  mark (self, sipd_flow_keeper_get_server (probe), FALSE);
  g_ptr_array_remove_index_fast (self->probes, index); /* frees the probe */
  self->back (host, self->user_data);
}

static const SipdFlowKeeperCallbacks probe_callbacks = { on_probe_changed, NULL };

SipdPrimaries *
sipd_primaries_new (SipdLineContext *context,
                    const SipdLineSettings *settings,
                    SipdPrimaryBackFunc back,
                    gpointer user_data)
{
  SipdPrimaries *self = g_new0 (SipdPrimaries, 1);

  self->context = context;
  self->settings = settings;
  self->back = back;
  self->user_data = user_data;
  self->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_flow_keeper_free);
  return self;
}

void
sipd_primaries_free (SipdPrimaries *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->probes);
  g_free (self);
}

void
sipd_primaries_fail (SipdPrimaries *self, const SipdServer *server, guint failed_attempts)
{
  g_autofree char *name = g_strdup_printf ("line %u probe", self->settings->index);
  SipdFlowKeeperOptions options;
  SipdFlowKeeper *probe;

  mark (self, server, TRUE);
  for (guint i = 0; i < self->probes->len; i++) {
    if (same_server (sipd_flow_keeper_get_server (g_ptr_array_index (self->probes, i)), server))
      return;
  }
  options = sipd_plan_keeper_options (self->settings, server, SIPD_FLOW_KEEPER_BACKOFF_PROBE, name);
  options.failures = failed_attempts;
  probe = sipd_flow_keeper_new (self->context->stack, self->context->resolver, &options, &probe_callbacks, self);
  g_ptr_array_add (self->probes, probe);
  sipd_flow_keeper_start (probe);
}

SipdFailoverChoice
sipd_primaries_choose (SipdPrimaries *self)
{
  return sipd_failover_choose (&self->settings->failover, self->failed);
}

SipdFailoverChoice
sipd_primaries_choose_if_failed (SipdPrimaries *self, const SipdServer *server)
{
  gboolean failed[SIPD_N_ROLES];

  for (guint role = 0; role < SIPD_N_ROLES; role++)
    failed[role] = self->failed[role] || same_server (&self->settings->servers[role][0], server);
  return sipd_failover_choose (&self->settings->failover, failed);
}

const SipdServer *
sipd_primaries_behind (SipdPrimaries *self, const SipdFailoverChoice *current, const SipdServer *next_hop)
{
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    const SipdServer *primary = &self->settings->servers[role][0];

    if (!current->use_backup[role] && self->settings->failover.has_backup[role] && same_server (primary, next_hop))
      return primary;
  }
  return NULL;
}

const SipdServer *
sipd_primaries_refusing (SipdPrimaries *self, const SipdFailoverChoice *current, guint status)
{
  if ((status == 408 || (status >= 500 && status < 600)) && !current->use_backup[SIPD_ROLE_REGISTRAR] &&
      self->settings->failover.has_backup[SIPD_ROLE_REGISTRAR])
    return &self->settings->servers[SIPD_ROLE_REGISTRAR][0];
  return NULL;
}

void
sipd_primaries_network_gained (SipdPrimaries *self, SipdNetmon *netmon)
{
  for (guint i = 0; i < self->probes->len; i++)
    sipd_flow_keeper_network_gained (g_ptr_array_index (self->probes, i), netmon);
}

void
sipd_primaries_targets_changed (SipdPrimaries *self,
                                const char *host,
                                guint16 port,
                                KlTransport transport,
                                const KlSipTargets *targets)
{
  for (guint i = 0; i < self->probes->len; i++)
    sipd_flow_keeper_targets_changed (g_ptr_array_index (self->probes, i), host, port, transport, targets);
}
