/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line.h"

#include <string.h>

#include "kl-log.h"
#include "sipd-error.h"
#include "sipd-leftovers.h"

struct _SipdLine {
  guint index;
  char *object_path;
  KlObjectSkeleton *object;
  KlSipLine1 *iface;
  SipdLineContext *context;

  SipdLineSettings *settings; /* NULL while disabled */
  SipdLineState state;

  gboolean failed[SIPD_N_ROLES]; /* which primaries failed: they decide the plan */
  SipdPlan *plan;                /* the plan in use, or the one the line moves to */
  SipdPlan *previous;            /* the plan it moves away from, until the new one is up */
  SipdFlowKeeper *standby;       /* reg-id 2 through the backup outbound proxy, with "sip outbound dual flow" */
  GPtrArray *probes;             /* keepers probing failed primaries */
  SipdLeftovers *leftovers;

  guint failovers;
  guint failbacks;
  char *failback_reason;   /* what the failback under way will announce */
  guint failback_failures; /* in a row: probes start backed off by them */
};

static void move_to (SipdLine *self, const SipdFailoverChoice *choice);

G_GNUC_PRINTF (3, 4)
static void
line_log (SipdLine *self, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *prefix = g_strdup_printf ("line %u", self->index);
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, level, "LINE", self->index, prefix, format, args);
  va_end (args);
}

static gboolean
registered_before (SipdLine *self)
{
  return self->previous != NULL && sipd_plan_is_registered (self->previous);
}

static void
publish_state (SipdLine *self)
{
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_public (self->state, registered_before (self)));
}

/* Every change of the line's state goes through here. */
static void
transition (SipdLine *self, SipdLineEvent event, const char *reason)
{
  SipdLineFacts facts = {
    .on_backup = self->plan != NULL && sipd_plan_get_servers (self->plan)->on_backup,
    .registered_before = registered_before (self),
  };
  SipdLineState state = sipd_line_state_next (self->state, event, &facts);

  if (state != self->state) {
    line_log (self, G_LOG_LEVEL_MESSAGE, "%s -> %s (%s)", sipd_line_state_to_string (self->state),
              sipd_line_state_to_string (state), reason);
    self->state = state;
  }
  publish_state (self);
}

static void
set_last_error (SipdLine *self, const char *error)
{
  kl_sip_line1_set_last_error (self->iface, error ? error : "");
}

static const SipdFailoverChoice *
current_choice (SipdLine *self)
{
  static const SipdFailoverChoice primaries = { { FALSE } };

  return self->plan ? sipd_plan_get_choice (self->plan) : &primaries;
}

/* D-Bus */

static void
add_flow (GVariantBuilder *flows, guint reg_id, SipdFlowKeeper *keeper)
{
  SipdFlowKeeperView view;

  if (keeper == NULL || !sipd_flow_keeper_view (keeper, &view))
    return;
  g_variant_builder_add (flows, "(ussssius)", reg_id, kl_transport_to_string (view.transport), view.local,
                         view.remote, view.state, view.rtt_ms, view.failures, view.last_failure);
  sipd_flow_keeper_view_clear (&view);
}

static void
update_flows_property (SipdLine *self)
{
  GVariantBuilder flows;

  g_variant_builder_init (&flows, G_VARIANT_TYPE ("a(ussssius)"));
  if (self->plan != NULL)
    add_flow (&flows, self->settings->outbound ? 1 : 0, sipd_plan_get_keeper (self->plan));
  add_flow (&flows, 2, self->standby);
  kl_sip_line1_set_flows (self->iface, g_variant_builder_end (&flows));
}

static void
publish_plan (SipdLine *self)
{
  const SipdPlanServers *servers = self->plan ? sipd_plan_get_servers (self->plan) : NULL;

  kl_sip_line1_set_aor (self->iface, servers ? servers->aor : "");
  kl_sip_line1_set_proxy (self->iface, servers ? servers->proxy : "");
  kl_sip_line1_set_on_backup (self->iface, servers ? servers->on_backup : FALSE);
}

gboolean
sipd_line_register (SipdLine *self, GError **error)
{
  if (self->settings == NULL) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_LINE_DISABLED, "line %u has no user name configured", self->index);
    return FALSE;
  }
  line_log (self, G_LOG_LEVEL_MESSAGE, "registering again on request");
  sipd_plan_register_now (self->plan);
  return TRUE;
}

static gboolean
on_handle_register (KlSipLine1 *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (sipd_line_register (user_data, &error))
    kl_sip_line1_complete_register (iface, invocation);
  else
    g_dbus_method_invocation_return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The dual flow */

static void
on_standby_changed (SipdFlowKeeper *keeper, gpointer user_data)
{
  update_flows_property (user_data);
}

static const SipdFlowKeeperCallbacks standby_callbacks = { on_standby_changed, on_standby_changed };

static void
stop_standby (SipdLine *self)
{
  sipd_leftovers_add_registration (self->leftovers, sipd_flow_keeper_steal_registration (self->standby));
  g_clear_pointer (&self->standby, sipd_flow_keeper_free);
}

/* With "sip outbound dual flow", a second flow through the backup outbound
 * proxy, to where the line would fail over, while the line uses the primary. */
static void
update_standby (SipdLine *self)
{
  const SipdLineSettings *s = self->settings;
  gboolean wanted = s->dual_flow && !current_choice (self)->use_backup[SIPD_ROLE_OUTBOUND_PROXY];

  if (wanted && self->standby == NULL) {
    gboolean failed[SIPD_N_ROLES] = { [SIPD_ROLE_OUTBOUND_PROXY] = TRUE };
    SipdFailoverChoice choice = sipd_failover_choose (&s->failover, failed);
    g_autoptr (SipdPlanServers) servers = sipd_plan_servers_new (s, &choice);
    SipdRegistrationConfig registration = sipd_plan_registration_config (self->context, s, servers, 2);
    g_autofree char *name = g_strdup_printf ("line %u second flow", self->index);
    SipdFlowKeeperOptions options = sipd_plan_keeper_options (s, &servers->next_hop,
                                                              SIPD_FLOW_KEEPER_BACKOFF_SECOND_FLOW, name);

    options.registration = &registration;
    self->standby = sipd_flow_keeper_new (self->context->stack, self->context->resolver, &options,
                                          &standby_callbacks, self);
    sipd_flow_keeper_start (self->standby);
  } else if (!wanted && self->standby != NULL) {
    stop_standby (self);
  }
  update_flows_property (self);
}

/* The plan is up */

static void
announce_failback (SipdLine *self)
{
  self->failbacks++;
  self->failback_failures = 0;
  line_log (self, G_LOG_LEVEL_MESSAGE, "failed back: %s", self->failback_reason);
  kl_sip_line1_set_failbacks (self->iface, self->failbacks);
  kl_sip_line1_emit_failed_back (self->iface, self->failback_reason ? self->failback_reason : "");
  g_clear_pointer (&self->failback_reason, g_free);
}

/* Registered with the plan: what the line had before goes, and what failed
 * flows left at these servers. */
static void
plan_up (SipdLine *self)
{
  SipdRegistration *registration = sipd_plan_get_registration (self->plan);
  gboolean outbound = sipd_registration_get_outbound (registration);
  gboolean failing_back = self->state == SIPD_LINE_STATE_FAILING_BACK;

  if (self->previous == NULL &&
      (self->state == SIPD_LINE_STATE_REGISTERED || self->state == SIPD_LINE_STATE_ON_BACKUP))
    return; /* it was up already: a keep-alive answered after a network change */
  set_last_error (self, NULL);
  kl_sip_line1_set_registrar (self->iface, sipd_plan_get_servers (self->plan)->registrar);
  kl_sip_line1_set_outbound (self->iface, outbound);
  transition (self, SIPD_LINE_EVENT_UP, outbound ? "200 OK, outbound in use" : "200 OK");
  if (self->previous != NULL)
    sipd_leftovers_add_moved (self->leftovers, g_steal_pointer (&self->previous), self->plan,
                              self->settings->outbound);
  sipd_leftovers_clear_at (self->leftovers, self->plan, self->settings->outbound);
  update_standby (self);
  sipd_stack_close_unused_flows_soon (self->context->stack);
  if (failing_back)
    announce_failback (self);
  publish_state (self);
}

/* Failover and failback */

static gboolean
same_server (const SipdServer *a, const SipdServer *b)
{
  return a->host != NULL && g_strcmp0 (a->host, b->host) == 0 && a->port == b->port;
}

static gboolean
has_probe (SipdLine *self, const SipdServer *server)
{
  for (guint i = 0; i < self->probes->len; i++) {
    if (same_server (sipd_flow_keeper_get_server (g_ptr_array_index (self->probes, i)), server))
      return TRUE;
  }
  return FALSE;
}

static void on_probe_changed (SipdFlowKeeper *probe, gpointer user_data);
static const SipdFlowKeeperCallbacks probe_callbacks = { on_probe_changed, NULL };

static void
add_probe (SipdLine *self, const SipdServer *server)
{
  g_autofree char *name = g_strdup_printf ("line %u probe", self->index);
  SipdFlowKeeperOptions options = sipd_plan_keeper_options (self->settings, server, SIPD_FLOW_KEEPER_BACKOFF_PROBE,
                                                            name);
  SipdFlowKeeper *probe;

  options.failures = self->failback_failures;
  probe = sipd_flow_keeper_new (self->context->stack, self->context->resolver, &options, &probe_callbacks, self);
  g_ptr_array_add (self->probes, probe);
  sipd_flow_keeper_start (probe);
}

/* The primary server failed: every role it serves fails over where it can,
 * and the server is probed until it answers again. */
static void
fail_primaries (SipdLine *self, const SipdServer *server, const char *reason)
{
  SipdFailoverChoice choice;
  g_autofree char *failover = NULL;

  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    if (same_server (&self->settings->servers[role][0], server))
      self->failed[role] = TRUE;
  }
  if (self->state == SIPD_LINE_STATE_FAILING_BACK)
    self->failback_failures++; /* the next probes wait longer */
  if (!has_probe (self, server))
    add_probe (self, server);

  choice = sipd_failover_choose (&self->settings->failover, self->failed);
  if (sipd_failover_choice_equal (&choice, current_choice (self)))
    return;
  failover = g_strdup_printf ("%s: %s", server->host, reason);
  if (self->state == SIPD_LINE_STATE_FAILING_BACK) {
    /* the primary answered the probe but not the registration: stay */
    line_log (self, G_LOG_LEVEL_MESSAGE, "failing back did not work (%s); staying on the backup", failover);
    g_clear_pointer (&self->failback_reason, g_free);
  } else {
    self->failovers++;
    line_log (self, G_LOG_LEVEL_MESSAGE, "failing over: %s", failover);
    kl_sip_line1_set_failovers (self->iface, self->failovers);
    kl_sip_line1_set_last_failover (self->iface, failover);
    kl_sip_line1_emit_failed_over (self->iface, failover);
  }
  transition (self, SIPD_LINE_EVENT_PRIMARY_FAILED, failover);
  move_to (self, &choice);
}

static void
on_probe_changed (SipdFlowKeeper *probe, gpointer user_data)
{
  SipdLine *self = user_data;
  SipdServer server;
  SipdFailoverChoice choice;
  guint index;

  if (!sipd_flow_keeper_is_up (probe) || !g_ptr_array_find (self->probes, probe, &index))
    return;
  server = *sipd_flow_keeper_get_server (probe);
  server.host = g_strdup (server.host);
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    if (same_server (&self->settings->servers[role][0], &server))
      self->failed[role] = FALSE;
  }
  g_ptr_array_remove_index_fast (self->probes, index); /* frees the probe */

  choice = sipd_failover_choose (&self->settings->failover, self->failed);
  if (!sipd_failover_choice_equal (&choice, current_choice (self))) {
    g_free (self->failback_reason);
    self->failback_reason = g_strdup_printf ("%s answers again", server.host);
    line_log (self, G_LOG_LEVEL_MESSAGE, "failing back: %s", self->failback_reason);
    transition (self, SIPD_LINE_EVENT_PRIMARY_BACK, self->failback_reason);
    move_to (self, &choice);
  }
  g_free (server.host);
}

/* The primary behind a failed flow that the line can fail over from. */
static const SipdServer *
failed_primary (SipdLine *self, const SipdServer *next_hop)
{
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    const SipdServer *primary = &self->settings->servers[role][0];

    if (!current_choice (self)->use_backup[role] && self->settings->failover.has_backup[role] &&
        same_server (primary, next_hop))
      return primary;
  }
  return NULL;
}

/* 408 and 5xx say the registrar is in trouble: a reason to use its backup. */
static gboolean
registrar_in_trouble (SipdLine *self, guint status)
{
  return (status == 408 || (status >= 500 && status < 600)) &&
         !current_choice (self)->use_backup[SIPD_ROLE_REGISTRAR] &&
         self->settings->failover.has_backup[SIPD_ROLE_REGISTRAR];
}

/* The plan's flow failed on every target, or its registrar refused: fail over
 * if a primary with a backup is behind it; else its keeper tries again later. */
static void
plan_down (SipdLine *self)
{
  SipdFlowKeeper *keeper = sipd_plan_get_keeper (self->plan);
  const char *reason = sipd_flow_keeper_get_reason (keeper);
  guint status = sipd_flow_keeper_get_failure_status (keeper);
  const SipdPlanServers *servers = sipd_plan_get_servers (self->plan);
  const SipdServer *primary;
  g_autofree char *error = NULL;

  kl_sip_line1_set_registrar (self->iface, "");
  if (!sipd_flow_keeper_will_retry (keeper)) {
    if (self->settings->transport == KL_TRANSPORT_TLS)
      error = g_strdup_printf ("TLS is not available: %s", self->context->tls_problem
                                                             ? self->context->tls_problem
                                                             : "no 'sips trusted certificates'");
    else
      error = g_strdup (reason);
    set_last_error (self, error);
    transition (self, SIPD_LINE_EVENT_REJECTED, error);
    return;
  }
  if (status == 0) {
    primary = failed_primary (self, sipd_flow_keeper_get_server (keeper));
    error = g_strdup_printf ("flow to %s failed: %s", primary ? primary->host : servers->registrar, reason);
    set_last_error (self, error);
    if (primary != NULL) {
      fail_primaries (self, primary, reason);
    } else {
      g_autofree char *why = g_strdup_printf ("%s; a new flow in %" G_GINT64_FORMAT " ms", error,
                                              sipd_flow_keeper_get_retry_delay_ms (keeper));
      transition (self, SIPD_LINE_EVENT_FLOW_DOWN, why);
    }
    return;
  }
  error = g_strdup_printf ("%s from %s", reason, servers->registrar);
  set_last_error (self, error);
  if (registrar_in_trouble (self, status)) {
    fail_primaries (self, &self->settings->servers[SIPD_ROLE_REGISTRAR][0], error);
  } else {
    g_autofree char *why = g_strdup_printf ("%s; registering again in %" G_GINT64_FORMAT " ms", error,
                                            sipd_flow_keeper_get_retry_delay_ms (keeper));
    transition (self, SIPD_LINE_EVENT_REJECTED, why);
  }
}

/* The plan being left lost its registration: the line may not count as
 * registered any more, nor as still moving. */
static void
previous_changed (SipdLine *self)
{
  SipdFlowKeeper *keeper = sipd_plan_get_keeper (self->plan);

  if (!registered_before (self) && sipd_flow_keeper_get_state (keeper) == SIPD_FLOW_KEEPER_STATE_DOWN) {
    plan_down (self);
    return;
  }
  publish_state (self);
}

static void
on_plan_keeper_changed (SipdPlan *plan, gpointer user_data)
{
  SipdLine *self = user_data;

  if (plan == self->previous) {
    previous_changed (self);
    return;
  }
  update_flows_property (self);
  switch (sipd_flow_keeper_get_state (sipd_plan_get_keeper (plan))) {
  case SIPD_FLOW_KEEPER_STATE_UP:
    plan_up (self);
    break;
  case SIPD_FLOW_KEEPER_STATE_CONNECTING:
    transition (self, SIPD_LINE_EVENT_CONNECTING, "registering");
    break;
  case SIPD_FLOW_KEEPER_STATE_DOWN:
    plan_down (self);
    break;
  case SIPD_FLOW_KEEPER_STATE_SUSPECT:
  case SIPD_FLOW_KEEPER_STATE_IDLE:
    break;
  }
}

static void
on_plan_flow_changed (SipdPlan *plan, gpointer user_data)
{
  SipdLine *self = user_data;

  if (plan == self->plan)
    update_flows_property (self);
}

static const SipdPlanCallbacks plan_callbacks = { on_plan_keeper_changed, on_plan_flow_changed };

/* Moves */

static void
adopt_plan (SipdLine *self, const SipdFailoverChoice *choice)
{
  self->plan = sipd_plan_new (self->context, self->iface, self->settings, choice, &plan_callbacks, self);
  publish_plan (self);
  update_flows_property (self);
  sipd_plan_start (self->plan);
}

/* The move failed before it was made: the line goes on with the plan it had,
 * which is still registered unless its own flow failed meanwhile. */
static void
return_to_previous (SipdLine *self)
{
  g_clear_pointer (&self->plan, sipd_plan_free);
  self->plan = g_steal_pointer (&self->previous);
  publish_plan (self);
  update_standby (self);
  sipd_plan_resume (self->plan);
  if (self->plan != NULL && sipd_plan_is_registered (self->plan))
    plan_up (self);
}

/* Moves the line to the servers of a failover choice, make before break: what
 * the line has now stays until the new plan is up; a move back to it before
 * then is a return to it. A plan neither in use nor kept was half made: it goes. */
static void
move_to (SipdLine *self, const SipdFailoverChoice *choice)
{
  if (self->previous != NULL && sipd_failover_choice_equal (choice, sipd_plan_get_choice (self->previous))) {
    return_to_previous (self);
    return;
  }
  if (self->previous == NULL && self->plan != NULL) {
    self->previous = g_steal_pointer (&self->plan);
    sipd_plan_hold (self->previous);
  }
  g_clear_pointer (&self->plan, sipd_plan_free);
  adopt_plan (self, choice);
}

/* Lifetime */

static void
reset (SipdLine *self)
{
  g_ptr_array_set_size (self->probes, 0);
  if (self->standby != NULL)
    stop_standby (self);
  if (self->previous != NULL)
    sipd_leftovers_add_dropped (self->leftovers, g_steal_pointer (&self->previous));
  if (self->plan != NULL)
    sipd_leftovers_add_dropped (self->leftovers, g_steal_pointer (&self->plan));
  g_clear_pointer (&self->failback_reason, g_free);
  self->failback_failures = 0;
  memset (self->failed, 0, sizeof self->failed);
}

SipdLine *
sipd_line_new (guint index, SipdLineContext *context)
{
  SipdLine *self = g_new0 (SipdLine, 1);

  g_return_val_if_fail (index >= 1 && index <= KL_CONFIG_MAX_LINES, NULL);

  self->index = index;
  self->context = context;
  self->object_path = g_strdup_printf ("/org/keepline/Sip/Line/%u", index);
  self->object = kl_object_skeleton_new (self->object_path);
  self->iface = kl_sip_line1_skeleton_new ();
  self->state = SIPD_LINE_STATE_DISABLED;
  self->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_flow_keeper_free);
  self->leftovers = sipd_leftovers_new (context, index);

  kl_sip_line1_set_index (self->iface, index);
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_public (self->state, FALSE));
  kl_sip_line1_set_transport (self->iface, "udp");
  kl_sip_line1_set_flows (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(ussssius)"), NULL, 0));
  kl_sip_line1_set_subscriptions (self->iface, g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), NULL, 0));
  kl_sip_line1_set_voice_messages (self->iface, g_variant_new ("(uu)", 0, 0));
  kl_sip_line1_set_blf_states (self->iface, g_variant_new_array (G_VARIANT_TYPE ("{ss}"), NULL, 0));
  kl_object_skeleton_set_sip_line1 (self->object, self->iface);
  g_signal_connect (self->iface, "handle-register", G_CALLBACK (on_handle_register), self);
  return self;
}

/* Removes the line's binding and subscriptions where its flows still work;
 * see sipd_line_is_quiet(). */
void
sipd_line_say_goodbye (SipdLine *self)
{
  reset (self);
  sipd_leftovers_forget_stranded (self->leftovers);
}

gboolean
sipd_line_is_quiet (SipdLine *self)
{
  return sipd_leftovers_is_quiet (self->leftovers);
}

void
sipd_line_stop (SipdLine *self)
{
  reset (self);
  sipd_leftovers_clear (self->leftovers);
}

void
sipd_line_detach (SipdLine *self)
{
  sipd_line_stop (self);
  g_clear_pointer (&self->settings, sipd_line_settings_free);
}

void
sipd_line_free (SipdLine *self)
{
  sipd_line_detach (self);
  g_ptr_array_unref (self->probes);
  sipd_leftovers_free (self->leftovers);
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_free (self->object_path);
  g_free (self);
}

guint
sipd_line_get_index (SipdLine *self)
{
  return self->index;
}

const char *
sipd_line_get_object_path (SipdLine *self)
{
  return self->object_path;
}

KlObjectSkeleton *
sipd_line_get_object (SipdLine *self)
{
  return self->object;
}

SipdLineState
sipd_line_get_state (SipdLine *self)
{
  return self->state;
}

const SipdLineSettings *
sipd_line_get_settings (SipdLine *self)
{
  return self->settings;
}

KlSipLine1 *
sipd_line_get_iface (SipdLine *self)
{
  return self->iface;
}

SipdFlow *
sipd_line_get_request_flow (SipdLine *self, const char **ret_route)
{
  SipdPlan *plans[] = { self->plan, self->previous };

  for (guint i = 0; i < G_N_ELEMENTS (plans); i++) {
    SipdFlow *flow = plans[i] && sipd_plan_is_registered (plans[i])
                       ? sipd_flow_keeper_get_flow (sipd_plan_get_keeper (plans[i]))
                       : NULL;
    if (flow != NULL) {
      *ret_route = sipd_plan_get_servers (plans[i])->route;
      return flow;
    }
  }
  if (self->standby != NULL && sipd_flow_keeper_is_up (self->standby)) {
    *ret_route = sipd_registration_get_route (sipd_flow_keeper_get_registration (self->standby));
    return sipd_flow_keeper_get_flow (self->standby);
  }
  *ret_route = NULL;
  return NULL;
}

gboolean
sipd_line_handle_notify (SipdLine *self, SipdFlow *flow, SipdMessage *notify)
{
  return (self->plan != NULL && sipd_plan_handle_notify (self->plan, flow, notify)) ||
         (self->previous != NULL && sipd_plan_handle_notify (self->previous, flow, notify)) ||
         sipd_leftovers_handle_notify (self->leftovers, flow, notify);
}

static void
publish_settings (SipdLine *self)
{
  const SipdLineSettings *s = self->settings;

  kl_sip_line1_set_display_name (self->iface, s ? s->display_name : "");
  kl_sip_line1_set_screen_name (self->iface, s ? s->screen_name : "");
  kl_sip_line1_set_registrar (self->iface, "");
  kl_sip_line1_set_outbound (self->iface, FALSE);
  set_last_error (self, NULL);
  if (s != NULL)
    kl_sip_line1_set_transport (self->iface, kl_transport_to_string (s->transport));
}

/* A line whose settings did not change keeps its flow and registration. */
void
sipd_line_apply_config (SipdLine *self, KlConfig *config)
{
  g_autoptr (SipdLineSettings) settings = NULL;
  static const SipdFailoverChoice primaries = { { FALSE } };

  if (kl_config_line_in_use (config, self->index))
    settings = sipd_line_settings_new (config, self->index);
  if (self->settings != NULL && sipd_line_settings_equal (self->settings, settings))
    return;

  reset (self);
  g_clear_pointer (&self->settings, sipd_line_settings_free);
  self->settings = g_steal_pointer (&settings);
  publish_settings (self);
  publish_plan (self);
  update_flows_property (self);
  if (self->settings == NULL) {
    transition (self, SIPD_LINE_EVENT_UNCONFIGURED, "no user name configured");
    return;
  }
  transition (self, SIPD_LINE_EVENT_CONFIGURED, "configured");
  adopt_plan (self, &primaries);
}

/* The network */

void
sipd_line_network_lost (SipdLine *self)
{
  if (self->plan != NULL)
    sipd_flow_keeper_network_lost (sipd_plan_get_keeper (self->plan));
  if (self->standby != NULL)
    sipd_flow_keeper_network_lost (self->standby);
}

void
sipd_line_network_gained (SipdLine *self, SipdNetmon *netmon)
{
  if (self->settings == NULL)
    return;
  for (guint i = 0; i < self->probes->len; i++)
    sipd_flow_keeper_network_gained (g_ptr_array_index (self->probes, i), netmon);
  if (self->standby != NULL)
    sipd_flow_keeper_network_gained (self->standby, netmon);
  sipd_flow_keeper_network_gained (sipd_plan_get_keeper (self->plan), netmon);
}

/* netmond resolved a server again and the answer changed: a line registered
 * through it moves its flow, registration and subscriptions to the new first
 * target, make before break. One on its way elsewhere follows the new answer
 * with its next flow. */
void
sipd_line_targets_changed (SipdLine *self,
                           const char *host,
                           guint16 port,
                           KlTransport transport,
                           const KlSipTargets *targets)
{
  g_autofree char *reason = NULL;

  if (self->plan == NULL)
    return;
  for (guint i = 0; i < self->probes->len; i++)
    sipd_flow_keeper_targets_changed (g_ptr_array_index (self->probes, i), host, port, transport, targets);
  if (self->standby != NULL)
    sipd_flow_keeper_targets_changed (self->standby, host, port, transport, targets);
  if (!sipd_flow_keeper_targets_changed (sipd_plan_get_keeper (self->plan), host, port, transport, targets) ||
      (self->state != SIPD_LINE_STATE_REGISTERED && self->state != SIPD_LINE_STATE_ON_BACKUP))
    return;
  reason = g_strdup_printf ("%s has new addresses in DNS", host);
  transition (self, SIPD_LINE_EVENT_DNS_MOVED, reason);
  self->previous = g_steal_pointer (&self->plan);
  sipd_plan_hold (self->previous);
  adopt_plan (self, sipd_plan_get_choice (self->previous));
}

/* The servers of the line, for netmond to watch (a name) and probe: a(sqs). */
void
sipd_line_add_watched_servers (SipdLine *self, GHashTable *seen, GVariantBuilder *servers)
{
  const char *transport;

  if (self->settings == NULL)
    return;
  transport = kl_transport_to_string (self->settings->transport);
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    for (guint i = 0; i < 2; i++) {
      const SipdServer *server = &self->settings->servers[role][i];
      char *key;

      if (server->host == NULL)
        continue;
      key = g_strdup_printf ("%s %u %s", server->host, server->port, transport);
      if (g_hash_table_contains (seen, key)) {
        g_free (key);
        continue;
      }
      g_hash_table_add (seen, key);
      g_variant_builder_add (servers, "(sqs)", server->host, server->port, transport);
    }
  }
}
