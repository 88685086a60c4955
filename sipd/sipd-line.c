/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line-private.h"

#include "kl-log.h"
#include "sipd-error.h"
#include "sipd-line-iface.h"
#include "sipd-line-path.h"

static void return_to_previous (SipdLine *self);

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
tell_context (SipdLine *self)
{
  if (self->context->line_changed != NULL)
    self->context->line_changed (self->index, self->context->line_changed_data);
}

static void
publish_state (SipdLine *self)
{
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_public (self->state, registered_before (self)));
  kl_sip_line1_set_phase (self->iface, sipd_line_state_to_string (self->state));
  tell_context (self);
}

/* Every change of the line's state goes through here. */
void
sipd_line_transition (SipdLine *self, SipdLineEvent event, const char *reason)
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

void
sipd_line_set_last_error (SipdLine *self, const char *error)
{
  kl_sip_line1_set_last_error (self->iface, error ? error : "");
}

const SipdFailoverChoice *
sipd_line_current_choice (SipdLine *self)
{
  static const SipdFailoverChoice primaries = { { FALSE } };

  return self->plan ? sipd_plan_get_choice (self->plan) : &primaries;
}

/* D-Bus */

void
sipd_line_update_flows (SipdLine *self)
{
  sipd_line_iface_show_flows (self->iface, self->plan, self->settings && self->settings->outbound, self->standby);
  tell_context (self);
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
  sipd_line_update_flows (user_data);
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
  gboolean wanted = s->dual_flow && !sipd_line_current_choice (self)->use_backup[SIPD_ROLE_OUTBOUND_PROXY];

  if (wanted && self->standby == NULL) {
    self->standby = sipd_plan_new_second_flow (self->context, s, &standby_callbacks, self);
    sipd_flow_keeper_start (self->standby);
  } else if (!wanted && self->standby != NULL) {
    stop_standby (self);
  }
  sipd_line_update_flows (self);
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
/* While the line moves, the new plan's proxy (when it is not the registrar)
 * must answer too before what the line had goes. */
static gboolean
proxy_pending (SipdLine *self)
{
  SipdFlowKeeper *proxy = sipd_plan_get_proxy_keeper (self->plan);

  if (self->previous == NULL || proxy == NULL)
    return FALSE;
  switch (sipd_flow_keeper_get_state (proxy)) {
  case SIPD_FLOW_KEEPER_STATE_IDLE:
  case SIPD_FLOW_KEEPER_STATE_CONNECTING:
    return TRUE;
  case SIPD_FLOW_KEEPER_STATE_UP:
  case SIPD_FLOW_KEEPER_STATE_SUSPECT:
  case SIPD_FLOW_KEEPER_STATE_DOWN:
    break;
  }
  return FALSE;
}

void
sipd_line_plan_up (SipdLine *self)
{
  SipdRegistration *registration = sipd_plan_get_registration (self->plan);
  gboolean outbound = sipd_registration_get_outbound (registration);
  gboolean failing_back = self->state == SIPD_LINE_STATE_FAILING_BACK;
  gboolean returning = self->state == SIPD_LINE_STATE_RETURNING;

  if (proxy_pending (self))
    return;
  if (self->previous == NULL &&
      (self->state == SIPD_LINE_STATE_REGISTERED || self->state == SIPD_LINE_STATE_ON_BACKUP))
    return; /* it was up already: a keep-alive answered after a network change */
  if (self->state == SIPD_LINE_STATE_SUSPECTING) {
    line_log (self, G_LOG_LEVEL_MESSAGE, "registered with the backup too; the suspect primary is held until it "
              "answers or fails");
    publish_state (self);
    return;
  }
  sipd_line_set_last_error (self, NULL);
  self->was_registered = TRUE;
  kl_sip_line1_set_registrar (self->iface, sipd_plan_get_servers (self->plan)->registrar);
  kl_sip_line1_set_outbound (self->iface, outbound);
  sipd_line_transition (self, SIPD_LINE_EVENT_UP, outbound ? "200 OK, outbound in use" : "200 OK");
  if (self->previous != NULL && returning)
    sipd_leftovers_add_returned (self->leftovers, g_steal_pointer (&self->previous), self->plan,
                                 self->settings->outbound);
  else if (self->previous != NULL)
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

void
sipd_line_count_failover (SipdLine *self, const char *failover)
{
  self->failovers++;
  line_log (self, G_LOG_LEVEL_MESSAGE, "failing over: %s", failover);
  kl_sip_line1_set_failovers (self->iface, self->failovers);
  kl_sip_line1_set_last_failover (self->iface, failover);
  kl_sip_line1_emit_failed_over (self->iface, failover);
}

/* The primary server failed: every role it serves fails over where it can,
 * and the server is probed until it answers again. */
static void
fail_primaries (SipdLine *self, const SipdServer *server, const char *reason)
{
  SipdFailoverChoice choice;
  g_autofree char *failover = NULL;

  if (self->state == SIPD_LINE_STATE_FAILING_BACK)
    self->failback_failures++; /* the next probes wait longer */
  sipd_primaries_fail (self->primaries, server, self->failback_failures);
  choice = sipd_primaries_choose (self->primaries);
  if (sipd_failover_choice_equal (&choice, sipd_line_current_choice (self)))
    return;
  failover = g_strdup_printf ("%s: %s", server->host, reason);
  if (self->state == SIPD_LINE_STATE_FAILING_BACK) {
    /* the primary answered the probe but not the registration: stay */
    line_log (self, G_LOG_LEVEL_MESSAGE, "failing back did not work (%s); staying on the backup", failover);
    g_clear_pointer (&self->failback_reason, g_free);
  } else {
    sipd_line_count_failover (self, failover);
  }
  sipd_line_transition (self, SIPD_LINE_EVENT_PRIMARY_FAILED, failover);
  sipd_line_move_to (self, &choice);
}

/* A failed primary answers its probe again: back to it, make before break. */
static void
on_primary_back (const char *host, gpointer user_data)
{
  SipdLine *self = user_data;
  SipdFailoverChoice choice = sipd_primaries_choose (self->primaries);

  if (sipd_failover_choice_equal (&choice, sipd_line_current_choice (self)))
    return;
  g_free (self->failback_reason);
  self->failback_reason = g_strdup_printf ("%s answers again", host);
  line_log (self, G_LOG_LEVEL_MESSAGE, "failing back: %s", self->failback_reason);
  sipd_line_transition (self, SIPD_LINE_EVENT_PRIMARY_BACK, self->failback_reason);
  sipd_line_move_to (self, &choice);
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

  if (self->state == SIPD_LINE_STATE_RETURNING && registered_before (self)) {
    line_log (self, G_LOG_LEVEL_MESSAGE, "returning did not work (%s); staying where it was", reason);
    return_to_previous (self);
    return;
  }
  kl_sip_line1_set_registrar (self->iface, "");
  if (!sipd_flow_keeper_will_retry (keeper)) {
    if (self->settings->transport == KL_TRANSPORT_TLS)
      error = g_strdup_printf ("TLS is not available: %s", self->context->tls_problem
                                                             ? self->context->tls_problem
                                                             : "no 'sips trusted certificates'");
    else
      error = g_strdup (reason);
    sipd_line_set_last_error (self, error);
    sipd_line_transition (self, SIPD_LINE_EVENT_REJECTED, error);
    return;
  }
  if (status == 0) {
    primary = sipd_primaries_behind (self->primaries, sipd_line_current_choice (self), sipd_flow_keeper_get_server (keeper));
    error = g_strdup_printf ("flow to %s failed: %s", primary ? primary->host : servers->registrar, reason);
    sipd_line_set_last_error (self, error);
    if (primary != NULL) {
      fail_primaries (self, primary, reason);
    } else {
      g_autofree char *why = g_strdup_printf ("%s; a new flow in %" G_GINT64_FORMAT " ms", error,
                                              sipd_flow_keeper_get_retry_delay_ms (keeper));
      sipd_line_transition (self, SIPD_LINE_EVENT_FLOW_DOWN, why);
    }
    return;
  }
  error = g_strdup_printf ("%s from %s", reason, servers->registrar);
  sipd_line_set_last_error (self, error);
  primary = sipd_primaries_refusing (self->primaries, sipd_line_current_choice (self), status);
  if (primary != NULL) {
    fail_primaries (self, primary, error);
  } else {
    g_autofree char *why = g_strdup_printf ("%s; registering again in %" G_GINT64_FORMAT " ms", error,
                                            sipd_flow_keeper_get_retry_delay_ms (keeper));
    sipd_line_transition (self, SIPD_LINE_EVENT_REJECTED, why);
  }
}

/* The plan being left lost its registration: the line may not count as
 * registered any more, nor as still moving. */
static void
previous_changed (SipdLine *self)
{
  SipdFlowKeeper *keeper = sipd_plan_get_keeper (self->plan);

  if (self->state == SIPD_LINE_STATE_SUSPECTING) {
    switch (sipd_flow_keeper_get_state (sipd_plan_get_keeper (self->previous))) {
    case SIPD_FLOW_KEEPER_STATE_UP:
      sipd_line_suspicion_cleared (self);
      return;
    case SIPD_FLOW_KEEPER_STATE_DOWN:
      sipd_line_suspicion_confirmed (self);
      return;
    case SIPD_FLOW_KEEPER_STATE_IDLE:
    case SIPD_FLOW_KEEPER_STATE_CONNECTING:
    case SIPD_FLOW_KEEPER_STATE_SUSPECT:
      break;
    }
  }
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
  } else {
    sipd_line_update_flows (self);
    switch (sipd_flow_keeper_get_state (sipd_plan_get_keeper (plan))) {
    case SIPD_FLOW_KEEPER_STATE_UP:
      sipd_line_plan_up (self);
      break;
    case SIPD_FLOW_KEEPER_STATE_CONNECTING:
      sipd_line_transition (self, SIPD_LINE_EVENT_CONNECTING, "registering");
      break;
    case SIPD_FLOW_KEEPER_STATE_DOWN:
      plan_down (self);
      break;
    case SIPD_FLOW_KEEPER_STATE_SUSPECT:
      sipd_line_plan_suspect (self);
      break;
    case SIPD_FLOW_KEEPER_STATE_IDLE:
      break;
    }
  }
  sipd_line_follow_targets (self);
}

static void
on_plan_flow_changed (SipdPlan *plan, gpointer user_data)
{
  SipdLine *self = user_data;

  if (plan == self->plan)
    sipd_line_update_flows (self);
}

/* The flow to the plan's proxy (not the registrar) failed on every target:
 * a proxy failure in the guide's sense when the proxy has a backup. */
static void
proxy_down (SipdLine *self, SipdFlowKeeper *proxy)
{
  const char *reason = sipd_flow_keeper_get_reason (proxy);
  const SipdServer *server = sipd_flow_keeper_get_server (proxy);
  const SipdServer *primary = sipd_primaries_behind (self->primaries, sipd_line_current_choice (self), server);
  g_autofree char *error = g_strdup_printf ("flow to proxy %s failed: %s", server->host, reason ? reason : "failed");

  sipd_line_set_last_error (self, error);
  if (primary != NULL) {
    fail_primaries (self, primary, reason ? reason : "failed");
    return;
  }
  line_log (self, G_LOG_LEVEL_MESSAGE, "%s; subscriptions and calls wait for a new flow in %" G_GINT64_FORMAT " ms",
            error, sipd_flow_keeper_get_retry_delay_ms (proxy));
  if (self->previous != NULL && sipd_plan_is_registered (self->plan))
    sipd_line_plan_up (self); /* no better proxy to wait for: the move completes */
}

static void
on_plan_proxy_changed (SipdPlan *plan, gpointer user_data)
{
  SipdLine *self = user_data;
  SipdFlowKeeper *proxy = sipd_plan_get_proxy_keeper (plan);

  if (plan != self->plan)
    return; /* a plan being left is held as it is */
  sipd_line_update_flows (self);
  switch (sipd_flow_keeper_get_state (proxy)) {
  case SIPD_FLOW_KEEPER_STATE_UP:
    if (sipd_plan_is_registered (plan))
      sipd_line_plan_up (self);
    sipd_leftovers_clear_at (self->leftovers, plan, self->settings->outbound);
    break;
  case SIPD_FLOW_KEEPER_STATE_DOWN:
    proxy_down (self, proxy);
    break;
  case SIPD_FLOW_KEEPER_STATE_IDLE:
  case SIPD_FLOW_KEEPER_STATE_CONNECTING:
  case SIPD_FLOW_KEEPER_STATE_SUSPECT:
    break;
  }
}

static const SipdPlanCallbacks plan_callbacks = { on_plan_keeper_changed, on_plan_flow_changed,
                                                  on_plan_proxy_changed };

/* Moves */

void
sipd_line_adopt_plan (SipdLine *self, const SipdFailoverChoice *choice, const KlSipTarget *first)
{
  self->plan = sipd_plan_new (self->context, self->iface, self->settings, choice, &plan_callbacks, self);
  sipd_line_iface_show_plan (self->iface, self->plan);
  sipd_line_update_flows (self);
  if (first != NULL)
    sipd_plan_start_at (self->plan, first);
  else
    sipd_plan_start (self->plan);
}

/* The move failed before it was made: the line goes on with the plan it had,
 * which is still registered unless its own flow failed meanwhile. */
static void
return_to_previous (SipdLine *self)
{
  g_clear_pointer (&self->plan, sipd_plan_free);
  self->plan = g_steal_pointer (&self->previous);
  sipd_line_iface_show_plan (self->iface, self->plan);
  update_standby (self);
  sipd_plan_resume (self->plan);
  if (self->plan != NULL && sipd_plan_is_registered (self->plan))
    sipd_line_plan_up (self);
}

/* Moves the line to the servers of a failover choice, make before break: what
 * the line has now stays until the new plan is up; a move back to it before
 * then is a return to it. A plan neither in use nor kept was half made: it goes. */
void
sipd_line_move_to (SipdLine *self, const SipdFailoverChoice *choice)
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
  sipd_line_adopt_plan (self, choice, NULL);
}

/* Lifetime */

static void
reset (SipdLine *self)
{
  g_clear_pointer (&self->primaries, sipd_primaries_free);
  g_clear_pointer (&self->targets, sipd_target_probe_free);
  self->returns = 0;
  if (self->standby != NULL)
    stop_standby (self);
  if (self->previous != NULL)
    sipd_leftovers_add_dropped (self->leftovers, g_steal_pointer (&self->previous));
  if (self->plan != NULL)
    sipd_leftovers_add_dropped (self->leftovers, g_steal_pointer (&self->plan));
  g_clear_pointer (&self->failback_reason, g_free);
  self->failback_failures = 0;
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
  self->iface = sipd_line_iface_new (index);
  self->state = SIPD_LINE_STATE_DISABLED;
  self->leftovers = sipd_leftovers_new (context, index);
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

gboolean
sipd_line_get_request_path (SipdLine *self, SipdFlow *avoid, SipdLinePath *ret_path)
{
  return sipd_line_path_choose (self->plan, self->previous, self->standby, avoid, ret_path);
}

/* A request over the flow of the plan's registration or of its proxy found
 * the server failed (Timer B, 503, 408). */
gboolean
sipd_line_server_failed (SipdLine *self, SipdFlow *flow, const char *reason)
{
  SipdFlowKeeper *keepers[] = {
    self->plan ? sipd_plan_get_keeper (self->plan) : NULL,
    self->plan ? sipd_plan_get_proxy_keeper (self->plan) : NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (keepers); i++) {
    const SipdServer *primary;

    if (keepers[i] == NULL || sipd_flow_keeper_get_flow (keepers[i]) != flow)
      continue;
    primary = sipd_primaries_behind (self->primaries, sipd_line_current_choice (self), sipd_flow_keeper_get_server (keepers[i]));
    if (primary == NULL)
      return FALSE;
    fail_primaries (self, primary, reason);
    return TRUE;
  }
  return FALSE;
}

gboolean
sipd_line_is_heading_for_a_flow (SipdLine *self)
{
  switch (self->state) {
  case SIPD_LINE_STATE_DISABLED:
  case SIPD_LINE_STATE_BACKING_OFF:
  case SIPD_LINE_STATE_REJECTED:
    return FALSE;
  case SIPD_LINE_STATE_REGISTERING:
  case SIPD_LINE_STATE_REGISTERED:
  case SIPD_LINE_STATE_MOVING:
  case SIPD_LINE_STATE_RETURNING:
  case SIPD_LINE_STATE_SUSPECTING:
  case SIPD_LINE_STATE_FAILING_OVER:
  case SIPD_LINE_STATE_ON_BACKUP:
  case SIPD_LINE_STATE_FAILING_BACK:
    return TRUE;
  }
  g_return_val_if_reached (FALSE);
}

gboolean
sipd_line_was_registered (SipdLine *self)
{
  return self->was_registered;
}

gboolean
sipd_line_handle_notify (SipdLine *self, SipdFlow *flow, SipdMessage *notify)
{
  return (self->plan != NULL && sipd_plan_handle_notify (self->plan, flow, notify)) ||
         (self->previous != NULL && sipd_plan_handle_notify (self->previous, flow, notify)) ||
         sipd_leftovers_handle_notify (self->leftovers, flow, notify);
}

gboolean
sipd_line_show_unsolicited_mwi (SipdLine *self, SipdFlow *flow, SipdMessage *notify)
{
  return (self->plan != NULL && sipd_plan_show_unsolicited_mwi (self->plan, flow, notify)) ||
         (self->previous != NULL && sipd_plan_show_unsolicited_mwi (self->previous, flow, notify));
}

/* A line whose settings did not change keeps its flow and registration. */
void
sipd_line_apply_config (SipdLine *self, KlConfig *config)
{
  g_autoptr (SipdLineSettings) settings = NULL;

  if (kl_config_line_in_use (config, self->index))
    settings = sipd_line_settings_new (config, self->index);
  if (self->settings != NULL && sipd_line_settings_equal (self->settings, settings))
    return;

  reset (self);
  self->was_registered = FALSE;
  g_clear_pointer (&self->settings, sipd_line_settings_free);
  self->settings = g_steal_pointer (&settings);
  sipd_line_iface_show_settings (self->iface, self->settings);
  sipd_line_iface_show_plan (self->iface, NULL);
  sipd_line_update_flows (self);
  if (self->settings == NULL) {
    sipd_line_transition (self, SIPD_LINE_EVENT_UNCONFIGURED, "no user name configured");
    return;
  }
  self->primaries = sipd_primaries_new (self->context, self->settings, on_primary_back, self);
  sipd_line_transition (self, SIPD_LINE_EVENT_CONFIGURED, "configured");
  self->targets = sipd_target_probe_new (self->context, self->settings, sipd_line_target_back, self);
  sipd_line_adopt_plan (self, sipd_line_current_choice (self), NULL); /* no plan yet: the primaries */
}
