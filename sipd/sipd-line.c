/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line.h"

#include <string.h>

#include "kl-log.h"
#include "sipd-error.h"
#include "sipd-events.h"
#include "sipd-probe.h"
#include "sipd-registration.h"
#include "sipd-standby.h"
#include "sipd-timing.h"

#define RETIRING_LIFETIME_MS 32000 /* long enough for the un-REGISTERs and un-SUBSCRIBEs to be answered */
#define MAX_STRANDED 4

/* What a plan left at its servers when its flow failed: a binding and
 * subscription dialogs, removed once the line works through the same servers
 * again (a failback, or a return after a hung server). */
typedef struct {
  SipdLinePlan *plan;
  SipdRegistration *registration;
  SipdEvents *events;
} Stranded;

struct _SipdLine {
  guint index;
  char *object_path;
  KlObjectSkeleton *object;
  KlSipLine1 *iface;
  SipdLineContext *context;

  SipdLineSettings *settings; /* NULL while disabled */
  SipdLineState state;

  /* failover: which primaries failed, which servers that makes us use */
  gboolean failed[SIPD_N_ROLES];
  SipdFailoverChoice choice;
  SipdLinePlan *plan;
  GPtrArray *probes; /* of failed primary servers */
  guint failovers;
  guint failbacks;
  char *failback_reason;   /* of the failback under way, announced once it worked */
  guint failback_failures; /* in a row: the probe backs off by them */

  /* what the plan registers and subscribes, over its flow */
  SipdRegistration *registration;
  SipdEvents *events;
  SipdFlow *flow;
  SipdStandby *standby; /* the second flow, with "sip outbound dual flow" */
  /* the plan before, kept until the new one is registered (make before break) */
  SipdRegistration *previous;
  SipdEvents *previous_events;
  SipdLinePlan *previous_plan;
  SipdFailoverChoice previous_choice;
  GPtrArray *retiring;        /* registrations saying goodbye */
  GPtrArray *retiring_events; /* subscriptions being ended */
  GPtrArray *stranded;        /* of Stranded */
  KlTimer *retiring_timer;

  guint flow_watch;
  KlTimer *retry_timer;
  SipdResolverLookup *lookup;
  KlSipTargets *targets; /* of the plan's flow server, as last looked up */
  guint target;          /* the one in use: the next is tried when its flow fails */
  gboolean suspect;      /* the network lost something since the flow was last heard from */
  gboolean network_changed; /* a failure now is the network's: recover at once, without back-off */

  gint64 published_rtt_ms;    /* the round trip the Flows property shows */
  guint consecutive_failures; /* of the flow, for the RFC 5626 back-off */
  guint flow_failures;
  char *last_flow_failure;
  gboolean backing_off;
};

static void connect_flow (SipdLine *self);
static void update_flows_property (SipdLine *self);
static void on_probe_alive (SipdProbe *probe, gpointer user_data);

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

const char *
sipd_line_state_to_string (SipdLineState state)
{
  switch (state) {
  case SIPD_LINE_STATE_DISABLED:
    return "disabled";
  case SIPD_LINE_STATE_UNREGISTERED:
    return "unregistered";
  case SIPD_LINE_STATE_REGISTERING:
    return "registering";
  case SIPD_LINE_STATE_REGISTERED:
    return "registered";
  case SIPD_LINE_STATE_FAILED:
    return "failed";
  }
  g_return_val_if_reached ("unknown");
}

static void
set_state (SipdLine *self, SipdLineState state, const char *reason)
{
  if (self->state == state)
    return;
  line_log (self, G_LOG_LEVEL_MESSAGE, "%s -> %s (%s)", sipd_line_state_to_string (self->state),
            sipd_line_state_to_string (state), reason);
  self->state = state;
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_string (state));
}

/* A move, make before break: the line stays registered where it is until the
 * new registration works, and says so. */
static gboolean
still_registered_before (SipdLine *self)
{
  SipdFlow *flow = self->previous ? sipd_registration_get_flow (self->previous) : NULL;

  return flow != NULL && sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE &&
         sipd_registration_get_state (self->previous) == SIPD_REGISTRATION_STATE_REGISTERED;
}

static void
set_registering (SipdLine *self, const char *reason)
{
  if (!still_registered_before (self))
    set_state (self, SIPD_LINE_STATE_REGISTERING, reason);
}

static void
set_last_error (SipdLine *self, const char *error)
{
  kl_sip_line1_set_last_error (self->iface, error ? error : "");
}

/* D-Bus */

static gboolean
on_handle_register (KlSipLine1 *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  SipdLine *self = user_data;

  if (self->settings == NULL) {
    g_dbus_method_invocation_return_error (invocation, SIPD_ERROR, SIPD_ERROR_LINE_DISABLED,
                                           "line %u has no user name configured", self->index);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  line_log (self, G_LOG_LEVEL_MESSAGE, "registering again on request");
  kl_timer_stop (self->retry_timer);
  if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_registration_register (self->registration, self->flow);
  else
    connect_flow (self);
  kl_sip_line1_complete_register (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* One entry of the Flows property, with the keys the XML documents */
static void
add_flow_entry (GVariantBuilder *flows,
                guint reg_id,
                const char *transport,
                const char *local,
                const char *remote,
                const char *state,
                gint32 rtt_ms,
                guint failures,
                const char *last_failure)
{
  GVariantBuilder entry;

  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "reg-id", g_variant_new_uint32 (reg_id));
  g_variant_builder_add (&entry, "{sv}", "transport", g_variant_new_string (transport));
  g_variant_builder_add (&entry, "{sv}", "local", g_variant_new_string (local));
  g_variant_builder_add (&entry, "{sv}", "remote", g_variant_new_string (remote));
  g_variant_builder_add (&entry, "{sv}", "state", g_variant_new_string (state));
  g_variant_builder_add (&entry, "{sv}", "rtt-ms", g_variant_new_int32 (rtt_ms));
  g_variant_builder_add (&entry, "{sv}", "failures", g_variant_new_uint32 (failures));
  g_variant_builder_add (&entry, "{sv}", "last-failure", g_variant_new_string (last_failure));
  g_variant_builder_add_value (flows, g_variant_builder_end (&entry));
}

static void
update_flows_property (SipdLine *self)
{
  GVariantBuilder flows;
  g_autofree char *local = NULL;
  g_autofree char *remote = NULL;
  guint reg_id = self->settings && self->settings->outbound ? 1 : 0;

  g_variant_builder_init (&flows, G_VARIANT_TYPE ("aa{sv}"));
  if (self->flow != NULL) {
    gboolean active = sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE;
    const char *state = self->suspect && active ? "suspect" : sipd_flow_state_to_string (sipd_flow_get_state (self->flow));

    local = sipd_socket_address_to_string (sipd_flow_get_local (self->flow));
    remote = sipd_socket_address_to_string (sipd_flow_get_remote (self->flow));
    self->published_rtt_ms = sipd_flow_get_rtt_ms (self->flow);
    add_flow_entry (&flows, reg_id, kl_transport_to_string (sipd_flow_get_transport (self->flow)),
                    local, remote, state,
                    (gint32) self->published_rtt_ms, self->flow_failures,
                    self->last_flow_failure ? self->last_flow_failure : "");
  }
  if (self->standby != NULL && sipd_standby_get_flow (self->standby) != NULL) {
    SipdFlow *flow = sipd_standby_get_flow (self->standby);
    g_autofree char *standby_local = sipd_socket_address_to_string (sipd_flow_get_local (flow));
    g_autofree char *standby_remote = sipd_socket_address_to_string (sipd_flow_get_remote (flow));

    add_flow_entry (&flows, 2, kl_transport_to_string (sipd_flow_get_transport (flow)),
                    standby_local, standby_remote, sipd_flow_state_to_string (sipd_flow_get_state (flow)),
                    (gint32) sipd_flow_get_rtt_ms (flow), sipd_standby_get_flow_failures (self->standby),
                    sipd_standby_get_last_failure (self->standby));
  }
  if (self->flow == NULL && self->backing_off && self->plan != NULL) {
    g_autofree char *target = sipd_format_host_port (self->plan->flow.host, self->plan->flow.port);
    add_flow_entry (&flows, reg_id, kl_transport_to_string (self->settings->transport), "",
                    target, "backoff", -1, self->flow_failures,
                    self->last_flow_failure ? self->last_flow_failure : "");
  }
  kl_sip_line1_set_flows (self->iface, g_variant_builder_end (&flows));
}

static void
publish_plan (SipdLine *self)
{
  kl_sip_line1_set_aor (self->iface, self->plan ? self->plan->aor : "");
  kl_sip_line1_set_proxy (self->iface, self->plan ? self->plan->proxy : "");
  kl_sip_line1_set_on_backup (self->iface, self->plan ? self->plan->on_backup : FALSE);
}

/* Retiring: what an old plan registered and subscribed, removed once the new
 * plan works */

static gboolean
free_registration (gpointer registration)
{
  sipd_registration_free (registration);
  return G_SOURCE_REMOVE;
}

/* An old registration is done saying goodbye; it is freed once its own
 * callback has returned. */
static void
on_retiring_changed (SipdRegistration *registration, gpointer user_data)
{
  SipdLine *self = user_data;
  SipdRegistrationState state = sipd_registration_get_state (registration);
  guint index;

  if (state != SIPD_REGISTRATION_STATE_IDLE && state != SIPD_REGISTRATION_STATE_FAILED)
    return;
  if (!g_ptr_array_find (self->retiring, registration, &index))
    return;
  g_ptr_array_steal_index_fast (self->retiring, index);
  g_idle_add (free_registration, registration);
  sipd_stack_close_unused_flows_soon (self->context->stack);
}

/* Un-registers where its flow still works; forgets it otherwise. */
static void
retire_registration (SipdLine *self, SipdRegistration *registration)
{
  SipdFlow *flow = sipd_registration_get_flow (registration);

  if (sipd_registration_get_state (registration) == SIPD_REGISTRATION_STATE_REGISTERED && flow != NULL &&
      sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE) {
    g_ptr_array_add (self->retiring, registration);
    sipd_registration_set_handler (registration, on_retiring_changed, self);
    sipd_registration_unregister (registration);
    return;
  }
  sipd_registration_free (registration);
}

static void
retire_events (SipdLine *self, SipdEvents *events)
{
  SipdFlow *flow = sipd_events_get_flow (events);

  if (flow != NULL && sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE) {
    sipd_events_unsubscribe (events);
    g_ptr_array_add (self->retiring_events, events);
    kl_timer_start (self->retiring_timer, RETIRING_LIFETIME_MS);
    return;
  }
  sipd_events_free (events);
}

static void
on_retiring_done (gpointer user_data)
{
  SipdLine *self = user_data;

  g_ptr_array_set_size (self->retiring_events, 0);
  sipd_stack_close_unused_flows_soon (self->context->stack);
}

/* A NOTIFY for one of the line's subscriptions, current, previous or ending. */
gboolean
sipd_line_handle_notify (SipdLine *self, SipdFlow *flow, SipdMessage *notify)
{
  if (self->events != NULL && sipd_events_handle_notify (self->events, flow, notify))
    return TRUE;
  if (self->previous_events != NULL && sipd_events_handle_notify (self->previous_events, flow, notify))
    return TRUE;
  for (guint i = 0; i < self->retiring_events->len; i++) {
    if (sipd_events_handle_notify (g_ptr_array_index (self->retiring_events, i), flow, notify))
      return TRUE;
  }
  return FALSE;
}

/* Registration */

static void
start_keepalive (SipdLine *self)
{
  gboolean outbound = sipd_registration_get_outbound (self->registration);

  if (outbound || self->settings->keepalive_without_outbound) {
    guint flow_timer = outbound ? sipd_registration_get_flow_timer (self->registration) : 0;
    sipd_flow_start_keepalive (self->flow, flow_timer, self->settings->keepalive_s);
  }
}

static void
on_retry_due (gpointer user_data)
{
  SipdLine *self = user_data;

  self->backing_off = FALSE;
  if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_registration_register (self->registration, self->flow);
  else
    connect_flow (self);
}

static void fail_primaries (SipdLine *self, const SipdServer *server, const char *reason);
static void update_standby (SipdLine *self);

/* With outbound, a registrar replaces the binding of the same instance and
 * reg-id (RFC 5626 §6): un-registering the old one would remove the new one. */
static gboolean
same_binding (const SipdLinePlan *a, const SipdLinePlan *b, gboolean outbound)
{
  return outbound && g_str_equal (a->aor, b->aor) && g_str_equal (a->registrar_uri, b->registrar_uri);
}

static void
announce_failback (SipdLine *self)
{
  self->failbacks++;
  self->failback_failures = 0;
  line_log (self, G_LOG_LEVEL_MESSAGE, "failed back: %s", self->failback_reason);
  kl_sip_line1_set_failbacks (self->iface, self->failbacks);
  kl_sip_line1_emit_failed_back (self->iface, self->failback_reason);
  g_clear_pointer (&self->failback_reason, g_free);
}

static void
stranded_free (Stranded *stranded)
{
  g_clear_pointer (&stranded->registration, sipd_registration_free);
  g_clear_pointer (&stranded->events, sipd_events_free);
  sipd_line_plan_free (stranded->plan);
  g_free (stranded);
}

static void
strand_previous (SipdLine *self)
{
  Stranded *stranded = g_new0 (Stranded, 1);

  stranded->plan = g_steal_pointer (&self->previous_plan);
  stranded->registration = g_steal_pointer (&self->previous);
  stranded->events = g_steal_pointer (&self->previous_events);
  if (self->stranded->len == MAX_STRANDED)
    g_ptr_array_remove_index (self->stranded, 0);
  g_ptr_array_add (self->stranded, stranded);
}

/* The line is registered: what failed flows left on the servers it now uses
 * is removed over its flow, through its outbound proxy. */
static void
clear_stranded (SipdLine *self)
{
  for (guint i = self->stranded->len; i-- > 0;) {
    Stranded *stranded = g_ptr_array_index (self->stranded, i);

    if (stranded->registration != NULL && g_str_equal (stranded->plan->registrar_uri, self->plan->registrar_uri)) {
      SipdRegistration *registration = g_steal_pointer (&stranded->registration);
      if (!same_binding (stranded->plan, self->plan, self->settings->outbound) &&
          sipd_registration_unregister_over (registration, self->flow, self->plan->route)) {
        line_log (self, G_LOG_LEVEL_MESSAGE, "removing the binding a failed flow left at %s",
                  self->plan->registrar);
        g_ptr_array_add (self->retiring, registration);
        sipd_registration_set_handler (registration, on_retiring_changed, self);
      } else {
        sipd_registration_free (registration);
      }
    }
    if (stranded->events != NULL && g_str_equal (stranded->plan->proxy, self->plan->proxy)) {
      SipdEvents *events = g_steal_pointer (&stranded->events);
      gboolean had_edge = stranded->plan->route != NULL;

      if (sipd_events_end_over (events, self->flow, had_edge ? stranded->plan->flow.host : NULL, self->plan->route)) {
        line_log (self, G_LOG_LEVEL_MESSAGE, "ending the subscriptions a failed flow left at %s", self->plan->proxy);
        g_ptr_array_add (self->retiring_events, events);
        kl_timer_start (self->retiring_timer, RETIRING_LIFETIME_MS);
      } else {
        sipd_events_free (events);
      }
    }
    if (stranded->registration == NULL && stranded->events == NULL)
      g_ptr_array_remove_index (self->stranded, i);
  }
}

/* The new plan works: what the old one registered and subscribed goes away,
 * now over its flow, or once the line works there again. */
static void
finish_move (SipdLine *self)
{
  if (self->previous != NULL) {
    SipdFlow *flow = sipd_registration_get_flow (self->previous);

    if (flow == NULL || sipd_flow_get_state (flow) != SIPD_FLOW_STATE_ACTIVE) {
      strand_previous (self);
    } else {
      /* the same Contact at the same registrar is one binding: removing the old removes the new */
      if (same_binding (self->previous_plan, self->plan, self->settings->outbound) ||
          (g_str_equal (self->previous_plan->registrar_uri, self->plan->registrar_uri) &&
           g_strcmp0 (sipd_registration_get_contact (self->previous),
                      sipd_registration_get_contact (self->registration)) == 0))
        sipd_registration_free (g_steal_pointer (&self->previous));
      else
        retire_registration (self, g_steal_pointer (&self->previous));
      retire_events (self, g_steal_pointer (&self->previous_events));
      g_clear_pointer (&self->previous_plan, sipd_line_plan_free);
    }
  }
  clear_stranded (self);
  update_standby (self);
  sipd_stack_close_unused_flows_soon (self->context->stack);
  if (self->failback_reason != NULL)
    announce_failback (self);
}

static void
on_registration_changed (SipdRegistration *registration, gpointer user_data)
{
  SipdLine *self = user_data;
  g_autofree char *error = NULL;
  guint status;
  guint delay_s;

  if (registration != self->registration)
    return; /* the plan being left: it stays as it is until it is removed or returned to */
  switch (sipd_registration_get_state (registration)) {
  case SIPD_REGISTRATION_STATE_REGISTERED:
    self->consecutive_failures = 0;
    self->network_changed = FALSE;
    self->suspect = FALSE;
    set_last_error (self, NULL);
    kl_sip_line1_set_registrar (self->iface, self->plan->registrar);
    kl_sip_line1_set_outbound (self->iface, sipd_registration_get_outbound (registration));
    start_keepalive (self);
    if (sipd_events_get_flow (self->events) != self->flow)
      sipd_events_subscribe (self->events, self->flow);
    set_state (self, SIPD_LINE_STATE_REGISTERED,
               sipd_registration_get_outbound (registration) ? "200 OK, outbound in use" : "200 OK");
    finish_move (self);
    break;
  case SIPD_REGISTRATION_STATE_FAILED:
    kl_sip_line1_set_registrar (self->iface, "");
    status = sipd_registration_get_failure_status (registration);
    if (status == 0) {
      /* timeouts and transport errors fail the flow: on_flow_changed acts */
      if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
        sipd_flow_fail (self->flow, sipd_registration_get_failure (registration));
      return;
    }
    error = g_strdup_printf ("%s from %s", sipd_registration_get_failure (registration), self->plan->registrar);
    set_last_error (self, error);
    /* 408 and 5xx say the registrar is in trouble: a reason to use the backup */
    if ((status == 408 || status >= 500) && status < 600 && !self->choice.use_backup[SIPD_ROLE_REGISTRAR] &&
        self->settings->failover.has_backup[SIPD_ROLE_REGISTRAR]) {
      fail_primaries (self, &self->settings->servers[SIPD_ROLE_REGISTRAR][0], error);
      return;
    }
    delay_s = sipd_registration_get_retry_after (registration);
    if (delay_s == 0)
      delay_s = self->settings->retry_s;
    kl_timer_start (self->retry_timer, (gint64) delay_s * 1000);
    set_state (self, SIPD_LINE_STATE_FAILED, error);
    line_log (self, G_LOG_LEVEL_MESSAGE, "registering again in %u s", delay_s);
    break;
  case SIPD_REGISTRATION_STATE_REGISTERING:
    set_registering (self, "REGISTER sent");
    break;
  case SIPD_REGISTRATION_STATE_IDLE:
  case SIPD_REGISTRATION_STATE_UNREGISTERING:
    break;
  }
}

/* Plans */

/* Registers and subscribes as the current failover choice says. What the
 * previous plan had stays until the new registration succeeds. */
static SipdRegistrationConfig
registration_config (SipdLine *self, const SipdLinePlan *plan, guint reg_id)
{
  const SipdLineSettings *s = self->settings;

  return (SipdRegistrationConfig) {
    .aor = plan->aor,
    .registrar_uri = plan->registrar_uri,
    .route = plan->route,
    .user = s->user,
    .display_name = s->display_name,
    .auth_user = s->auth_user,
    .password = s->password,
    .instance_id = s->outbound ? self->context->instance_id : NULL,
    .reg_id = s->outbound ? reg_id : 0,
    .outbound = s->outbound,
    .expires_s = s->expires_s,
    .renewal_s = s->renewal_s,
    .user_agent = self->context->user_agent,
  };
}

static void
stop_standby (SipdLine *self)
{
  SipdRegistration *registration = sipd_standby_steal_registration (self->standby);

  g_clear_pointer (&self->standby, sipd_standby_free);
  retire_registration (self, registration);
}

/* With "sip outbound dual flow", a second flow through the backup outbound
 * proxy, to where the line would fail over, while the line uses the primary. */
static void
update_standby (SipdLine *self)
{
  const SipdLineSettings *s = self->settings;
  gboolean wanted = s->dual_flow && !self->choice.use_backup[SIPD_ROLE_OUTBOUND_PROXY];

  if (wanted && self->standby == NULL) {
    gboolean failed[SIPD_N_ROLES] = { [SIPD_ROLE_OUTBOUND_PROXY] = TRUE };
    SipdFailoverChoice choice = sipd_failover_choose (&s->failover, failed);
    g_autoptr (SipdLinePlan) plan = sipd_line_plan_new (s, &choice);
    SipdRegistrationConfig config = registration_config (self, plan, 2);

    self->standby = sipd_standby_new (self->context->stack, self->context->resolver, s, plan, &config);
    update_flows_property (self);
  } else if (!wanted && self->standby != NULL) {
    stop_standby (self);
    update_flows_property (self);
  }
}

static void
adopt_plan (SipdLine *self)
{
  const SipdLineSettings *s = self->settings;
  g_autoptr (SipdLinePlan) plan = sipd_line_plan_new (s, &self->choice);
  SipdRegistrationConfig config = registration_config (self, plan, 1);

  /* a plan not kept as the previous one was half made: it is dropped */
  g_clear_pointer (&self->registration, sipd_registration_free);
  g_clear_pointer (&self->events, sipd_events_free);
  g_clear_pointer (&self->plan, sipd_line_plan_free);
  self->plan = g_steal_pointer (&plan);
  self->registration = sipd_registration_new (self->context->stack, &config, on_registration_changed, self);
  self->events = sipd_events_new (self->context->stack, self->iface, s, self->plan, self->context->user_agent);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  g_clear_pointer (&self->targets, kl_sip_targets_free);
  self->target = 0;
  kl_timer_stop (self->retry_timer);
  self->consecutive_failures = 0;
  publish_plan (self);
  connect_flow (self);
}

/* The move failed before it was made: the line goes on with the plan it had,
 * which is still registered unless its own flow failed meanwhile. */
static void
return_to_previous (SipdLine *self)
{
  g_clear_pointer (&self->registration, sipd_registration_free);
  g_clear_pointer (&self->events, sipd_events_free);
  g_clear_pointer (&self->plan, sipd_line_plan_free);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->registration = g_steal_pointer (&self->previous);
  self->events = g_steal_pointer (&self->previous_events);
  self->plan = g_steal_pointer (&self->previous_plan);
  kl_timer_stop (self->retry_timer);
  publish_plan (self);
  update_standby (self);
  sipd_events_publish (self->events);
  if (sipd_registration_get_state (self->registration) != SIPD_REGISTRATION_STATE_REGISTERED) {
    connect_flow (self);
    return;
  }
  self->flow = sipd_flow_ref (sipd_registration_get_flow (self->registration));
  kl_sip_line1_set_registrar (self->iface, self->plan->registrar);
  set_state (self, SIPD_LINE_STATE_REGISTERED, "still registered");
  update_flows_property (self);
}

/* Moves the line to the servers of a failover choice, make before break: what
 * the line has now stays until the new plan is registered; a move back to it
 * before then is a return to it. */
static void
move_to (SipdLine *self, const SipdFailoverChoice *choice)
{
  if (self->previous != NULL && sipd_failover_choice_equal (choice, &self->previous_choice)) {
    self->choice = *choice;
    return_to_previous (self);
    return;
  }
  if (self->previous == NULL && self->registration != NULL) {
    self->previous = g_steal_pointer (&self->registration);
    self->previous_events = g_steal_pointer (&self->events);
    self->previous_plan = g_steal_pointer (&self->plan);
    self->previous_choice = self->choice;
  }
  self->choice = *choice;
  adopt_plan (self);
}

static gboolean
has_probe (SipdLine *self, const SipdServer *server)
{
  for (guint i = 0; i < self->probes->len; i++) {
    const SipdServer *probed = sipd_probe_get_server (g_ptr_array_index (self->probes, i));
    if (g_strcmp0 (probed->host, server->host) == 0 && probed->port == server->port)
      return TRUE;
  }
  return FALSE;
}

static gboolean
same_server (const SipdServer *a, const SipdServer *b)
{
  return a->host != NULL && g_strcmp0 (a->host, b->host) == 0 && a->port == b->port;
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
  if (self->failback_reason != NULL)
    self->failback_failures++; /* the next probes wait longer */
  if (!has_probe (self, server))
    g_ptr_array_add (self->probes, sipd_probe_new (self->context->stack, self->context->resolver, server,
                                                   self->settings->transport,
                                                   self->settings->timer_scale_percent, self->failback_failures,
                                                   on_probe_alive, self));

  choice = sipd_failover_choose (&self->settings->failover, self->failed);
  if (sipd_failover_choice_equal (&choice, &self->choice))
    return;
  failover = g_strdup_printf ("%s: %s", server->host, reason);
  if (self->failback_reason != NULL) {
    /* the primary answered the probe but not the registration: stay */
    g_clear_pointer (&self->failback_reason, g_free);
    line_log (self, G_LOG_LEVEL_MESSAGE, "failing back did not work (%s); staying on the backup", failover);
    move_to (self, &choice);
    return;
  }
  self->failovers++;
  line_log (self, G_LOG_LEVEL_MESSAGE, "failing over: %s", failover);
  kl_sip_line1_set_failovers (self->iface, self->failovers);
  kl_sip_line1_set_last_failover (self->iface, failover);
  kl_sip_line1_emit_failed_over (self->iface, failover);
  move_to (self, &choice);
}

static void
on_probe_alive (SipdProbe *probe, gpointer user_data)
{
  SipdLine *self = user_data;
  const SipdServer *server = sipd_probe_get_server (probe);
  g_autofree char *reason = g_strdup_printf ("%s answers again", server->host);
  SipdFailoverChoice choice;
  guint index;

  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    if (same_server (&self->settings->servers[role][0], server))
      self->failed[role] = FALSE;
  }
  if (g_ptr_array_find (self->probes, probe, &index))
    g_ptr_array_remove_index_fast (self->probes, index); /* frees the probe */

  choice = sipd_failover_choose (&self->settings->failover, self->failed);
  if (sipd_failover_choice_equal (&choice, &self->choice))
    return;
  line_log (self, G_LOG_LEVEL_MESSAGE, "failing back: %s", reason);
  g_free (self->failback_reason);
  self->failback_reason = g_steal_pointer (&reason);
  move_to (self, &choice);
}

/* Flow */

/* RFC 5626 §4.5: recover a failed flow after a back-off; with outbound off,
 * retry after "sip registration timeout retry timer". */
static void
recover_flow (SipdLine *self, const char *reason)
{
  gint64 delay_ms;
  g_autofree char *error = g_strdup_printf ("flow to %s failed: %s", self->plan->registrar, reason);

  self->consecutive_failures++;
  if (self->network_changed)
    delay_ms = 0; /* the server did nothing wrong: the network changed under the flow */
  else if (self->settings->outbound)
    delay_ms = sipd_backoff_delay_ms (self->context->clock, self->consecutive_failures, TRUE,
                                      sipd_registration_get_retry_after (self->registration),
                                      self->settings->timer_scale_percent);
  else
    delay_ms = (gint64) self->settings->timeout_retry_s * 1000;
  self->network_changed = FALSE;

  kl_sip_line1_set_registrar (self->iface, "");
  set_last_error (self, error);
  set_registering (self, error);
  line_log (self, G_LOG_LEVEL_MESSAGE, "new flow in %" G_GINT64_FORMAT " ms (failure %u in a row)", delay_ms,
            self->consecutive_failures);
  self->backing_off = TRUE;
  kl_timer_start (self->retry_timer, delay_ms);
}

/* The flow of the plan failed: fail over if a primary with a backup is behind
 * it, else recover it in place. */
static void
flow_failed (SipdLine *self, SipdFlow *flow, const char *reason)
{
  const SipdServer *server = NULL;

  self->flow_failures++;
  g_free (self->last_flow_failure);
  self->last_flow_failure = g_strdup (reason);
  self->suspect = FALSE;
  if (self->targets != NULL && self->target + 1 < self->targets->targets->len) {
    const KlSipTarget *next = g_ptr_array_index (self->targets->targets, ++self->target);
    g_autofree char *address = g_inet_address_to_string (next->address);

    line_log (self, G_LOG_LEVEL_MESSAGE, "flow to %s failed (%s): trying its next target, %s:%u",
              self->plan->flow.host, reason, address, next->port);
    g_clear_pointer (&self->flow, sipd_flow_unref);
    sipd_registration_stop (self->registration);
    sipd_events_stop (self->events);
    connect_flow (self);
    return;
  }
  self->target = 0;
  for (guint role = 0; role < SIPD_N_ROLES && server == NULL; role++) {
    const SipdServer *primary = &self->settings->servers[role][0];
    if (!self->choice.use_backup[role] && sipd_server_matches (primary, self->settings->transport, flow) &&
        self->settings->failover.has_backup[role])
      server = primary;
  }
  g_clear_pointer (&self->flow, sipd_flow_unref);
  sipd_registration_stop (self->registration);
  sipd_events_stop (self->events);
  if (server != NULL) {
    g_autofree char *error = g_strdup_printf ("flow to %s failed: %s", server->host, reason);
    set_last_error (self, error);
    fail_primaries (self, server, reason);
    return;
  }
  recover_flow (self, reason);
}

/* An idle phone should not chatter on the bus: a keep-alive's round trip is
 * announced when it is the first, or moved by 10 ms and a quarter. */
static gboolean
rtt_worth_publishing (gint64 published_ms, gint64 rtt_ms)
{
  gint64 change = ABS (rtt_ms - published_ms);

  return published_ms < 0 || (change >= 10 && change * 4 >= published_ms);
}

static void
on_flow_changed (SipdStack *stack, SipdFlow *flow, SipdFlowEvent event, gpointer user_data)
{
  SipdLine *self = user_data;

  if (self->previous != NULL && flow == sipd_registration_get_flow (self->previous) &&
      event == SIPD_FLOW_EVENT_STATE && sipd_flow_get_state (flow) == SIPD_FLOW_STATE_FAILED) {
    /* the flow of the plan we are leaving died: nothing to remove there any more */
    sipd_registration_stop (self->previous);
    if (self->previous_events != NULL)
      sipd_events_stop (self->previous_events);
  }
  if (flow != self->flow) {
    if (self->standby != NULL && event == SIPD_FLOW_EVENT_STATE)
      update_flows_property (self); /* perhaps the second flow's */
    return;
  }
  if (event == SIPD_FLOW_EVENT_KEEPALIVE) {
    gboolean was_suspect = self->suspect;

    if (was_suspect)
      line_log (self, G_LOG_LEVEL_MESSAGE, "the flow answers its keep-alive: it survived the network change");
    self->suspect = FALSE;
    self->network_changed = FALSE;
    if (was_suspect || rtt_worth_publishing (self->published_rtt_ms, sipd_flow_get_rtt_ms (flow)))
      update_flows_property (self);
    return;
  }
  switch (sipd_flow_get_state (flow)) {
  case SIPD_FLOW_STATE_ACTIVE:
    sipd_registration_register (self->registration, flow);
    break;
  case SIPD_FLOW_STATE_FAILED:
  case SIPD_FLOW_STATE_CLOSED: {
    g_autofree char *reason = g_strdup (sipd_flow_get_failure (flow) ? sipd_flow_get_failure (flow) : "closed");
    flow_failed (self, flow, reason);
    break;
  }
  case SIPD_FLOW_STATE_CONNECTING:
    break;
  }
  update_flows_property (self);
}

static void
use_target (SipdLine *self, const KlSipTarget *target)
{
  SipdFlow *flow = sipd_server_get_flow (&self->plan->flow, self->context->stack, self->settings->transport,
                                         target);

  if (flow == NULL) {
    g_autofree char *error = g_strdup_printf ("TLS is not available: %s",
                                              self->context->tls_problem ? self->context->tls_problem
                                                                         : "no 'sips trusted certificates'");
    set_last_error (self, error);
    set_state (self, SIPD_LINE_STATE_FAILED, error);
    return;
  }
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->flow = sipd_flow_ref (flow);
  update_flows_property (self);
  if (sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_registration_register (self->registration, flow);
}

static void
keep_targets (SipdLine *self, const KlSipTargets *targets)
{
  if (self->targets != NULL && kl_sip_targets_equal (self->targets, targets))
    return;
  g_clear_pointer (&self->targets, kl_sip_targets_free);
  self->targets = kl_sip_targets_copy (targets);
  self->target = 0;
}

static void
on_looked_up (const KlSipTargets *targets, const char *error, gpointer user_data)
{
  SipdLine *self = user_data;

  self->lookup = NULL;
  if (targets == NULL) {
    g_autofree char *reason = NULL;

    if (self->targets == NULL) {
      reason = g_strdup_printf ("cannot resolve %s: %s", self->plan->flow.host, error);
      recover_flow (self, reason);
      return;
    }
    line_log (self, G_LOG_LEVEL_MESSAGE, "cannot resolve %s (%s): using its last good targets",
              self->plan->flow.host, error);
  } else {
    keep_targets (self, targets);
  }
  use_target (self, g_ptr_array_index (self->targets->targets, self->target));
}

static void
connect_flow (SipdLine *self)
{
  g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
  self->backing_off = FALSE;
  set_registering (self, "connecting");
  self->lookup = sipd_resolver_lookup (self->context->resolver, &self->plan->flow, self->settings->transport,
                                    on_looked_up, self);
}

/* Lifetime */

static void
reset (SipdLine *self)
{
  g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
  kl_timer_stop (self->retry_timer);
  g_ptr_array_set_size (self->probes, 0);
  if (self->standby != NULL)
    stop_standby (self);
  if (self->previous != NULL)
    retire_registration (self, g_steal_pointer (&self->previous));
  if (self->previous_events != NULL)
    retire_events (self, g_steal_pointer (&self->previous_events));
  g_clear_pointer (&self->previous_plan, sipd_line_plan_free);
  g_clear_pointer (&self->failback_reason, g_free);
  self->failback_failures = 0;
  if (self->registration != NULL)
    retire_registration (self, g_steal_pointer (&self->registration));
  if (self->events != NULL)
    retire_events (self, g_steal_pointer (&self->events));
  g_clear_pointer (&self->flow, sipd_flow_unref);
  g_clear_pointer (&self->plan, sipd_line_plan_free);
  memset (self->failed, 0, sizeof self->failed);
  self->choice = (SipdFailoverChoice) { { FALSE } };
  self->consecutive_failures = 0;
  self->backing_off = FALSE;
  self->suspect = FALSE;
  self->network_changed = FALSE;
  g_clear_pointer (&self->targets, kl_sip_targets_free);
  self->target = 0;
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
  self->published_rtt_ms = -1;
  self->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_probe_free);
  self->retiring = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_registration_free);
  self->retiring_events = g_ptr_array_new_with_free_func ((GDestroyNotify) sipd_events_free);
  self->stranded = g_ptr_array_new_with_free_func ((GDestroyNotify) stranded_free);
  self->retiring_timer = kl_timer_new (context->clock, on_retiring_done, self);
  self->retry_timer = kl_timer_new (context->clock, on_retry_due, self);
  sipd_line_attach (self);

  kl_sip_line1_set_index (self->iface, index);
  kl_sip_line1_set_state (self->iface, sipd_line_state_to_string (self->state));
  kl_sip_line1_set_transport (self->iface, "udp");
  kl_sip_line1_set_flows (self->iface, g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0));
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
  g_ptr_array_set_size (self->stranded, 0);
}

gboolean
sipd_line_is_quiet (SipdLine *self)
{
  if (self->retiring->len > 0)
    return FALSE;
  for (guint i = 0; i < self->retiring_events->len; i++) {
    if (!sipd_events_is_done (g_ptr_array_index (self->retiring_events, i)))
      return FALSE;
  }
  return TRUE;
}

void
sipd_line_stop (SipdLine *self)
{
  reset (self);
  g_ptr_array_set_size (self->retiring, 0);
  g_ptr_array_set_size (self->retiring_events, 0);
  g_ptr_array_set_size (self->stranded, 0);
  kl_timer_stop (self->retiring_timer);
}

/* Before the manager replaces the stack: let go of everything on it. The next
 * sipd_line_apply_config() starts the line again. */
void
sipd_line_detach (SipdLine *self)
{
  sipd_line_stop (self);
  g_clear_pointer (&self->settings, sipd_line_settings_free);
  if (self->flow_watch != 0)
    sipd_stack_remove_flow_watch (self->context->stack, self->flow_watch);
  self->flow_watch = 0;
}

void
sipd_line_attach (SipdLine *self)
{
  g_return_if_fail (self->flow_watch == 0);
  self->flow_watch = sipd_stack_add_flow_watch (self->context->stack, on_flow_changed, self);
}

void
sipd_line_free (SipdLine *self)
{
  sipd_line_detach (self);
  kl_timer_free (self->retry_timer);
  kl_timer_free (self->retiring_timer);
  g_ptr_array_unref (self->probes);
  g_ptr_array_unref (self->retiring);
  g_ptr_array_unref (self->retiring_events);
  g_ptr_array_unref (self->stranded);
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_free (self->last_flow_failure);
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

  if (kl_config_line_in_use (config, self->index))
    settings = sipd_line_settings_new (config, self->index);
  if (self->settings != NULL && sipd_line_settings_equal (self->settings, settings))
    return;

  reset (self);
  g_clear_pointer (&self->settings, sipd_line_settings_free);
  self->settings = g_steal_pointer (&settings);
  publish_settings (self);
  update_flows_property (self);
  if (self->settings == NULL) {
    publish_plan (self);
    set_state (self, SIPD_LINE_STATE_DISABLED, "no user name configured");
    return;
  }
  set_state (self, SIPD_LINE_STATE_UNREGISTERED, "configured");
  move_to (self, &self->choice);
}

/* The network */

/* A link went down or an address went: the flow may be dead, but a short
 * outage does not end a TCP connection, so it is only marked. */
void
sipd_line_network_lost (SipdLine *self)
{
  if (self->flow == NULL || sipd_flow_get_state (self->flow) != SIPD_FLOW_STATE_ACTIVE || self->suspect)
    return;
  line_log (self, G_LOG_LEVEL_MESSAGE, "the network lost a link or an address: the flow is suspect");
  self->suspect = TRUE;
  update_flows_property (self);
}

/* A link came up or an address came: every flow is checked at once, and a
 * line waiting out its back-off tries now. */
void
sipd_line_network_gained (SipdLine *self, SipdNetmon *netmon)
{
  GInetSocketAddress *local;

  if (self->settings == NULL)
    return;
  for (guint i = 0; i < self->probes->len; i++)
    sipd_probe_attempt_now (g_ptr_array_index (self->probes, i));
  if (self->standby != NULL)
    sipd_standby_network_gained (self->standby);
  self->network_changed = TRUE;
  if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE) {
    local = sipd_flow_get_local (self->flow);
    if (local != NULL && sipd_netmon_address_is_gone (netmon, g_inet_socket_address_get_address (local))) {
      g_autofree char *address = g_inet_address_to_string (g_inet_socket_address_get_address (local));
      g_autofree char *reason = g_strdup_printf ("its local address %s is gone", address);
      sipd_flow_fail (self->flow, reason);
      return;
    }
    line_log (self, G_LOG_LEVEL_MESSAGE, "the network gained a link or an address: checking the flow now");
    sipd_flow_keepalive_now (self->flow);
    return;
  }
  if (self->backing_off) {
    line_log (self, G_LOG_LEVEL_MESSAGE, "the network gained a link or an address: a new flow now");
    kl_timer_stop (self->retry_timer);
    self->consecutive_failures = 0;
    connect_flow (self);
  }
}

/* The plan stays; the line moves its flow, registration and subscriptions to
 * the server's new first target, make before break. */
static void
retarget (SipdLine *self)
{
  if (self->previous == NULL) {
    self->previous = g_steal_pointer (&self->registration);
    self->previous_events = g_steal_pointer (&self->events);
    self->previous_plan = g_steal_pointer (&self->plan);
    self->previous_choice = self->choice;
  }
  adopt_plan (self);
}

static gboolean
flow_goes_to (SipdFlow *flow, const KlSipTarget *target)
{
  GInetSocketAddress *remote = sipd_flow_get_remote (flow);

  return g_inet_socket_address_get_port (remote) == target->port &&
         g_inet_address_equal (g_inet_socket_address_get_address (remote), target->address);
}

/* netmond resolved a server again and the answer changed. */
void
sipd_line_targets_changed (SipdLine *self,
                           const char *host,
                           guint16 port,
                           KlTransport transport,
                           const KlSipTargets *targets)
{
  const KlSipTarget *first;
  g_autofree char *address = NULL;

  if (self->settings == NULL || self->plan == NULL || targets->targets->len == 0 ||
      transport != self->settings->transport ||
      g_ascii_strcasecmp (host, self->plan->flow.host) != 0 || port != self->plan->flow.port)
    return;
  first = g_ptr_array_index (targets->targets, 0);
  keep_targets (self, targets);
  if (self->flow == NULL || flow_goes_to (self->flow, first) || self->state != SIPD_LINE_STATE_REGISTERED)
    return; /* where it is, or on its way somewhere: its next flow follows the new answer */
  address = g_inet_address_to_string (first->address);
  line_log (self, G_LOG_LEVEL_MESSAGE, "%s moved to %s:%u in DNS: moving the line there, make before break", host,
            address, first->port);
  retarget (self);
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
