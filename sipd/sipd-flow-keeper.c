/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-flow-keeper"

#include "sipd-flow-keeper-private.h"

#include "kl-log.h"
#include "sipd-target-walk.h"
#include "sipd-timing.h"

/* the shortest idle time after which a server's close is its idle timeout */
#define ORDINARY_CLOSE_MIN_S 5


static void connect_flow (SipdFlowKeeper *self);

G_GNUC_PRINTF (3, 4)
static void
keeper_log (SipdFlowKeeper *self, GLogLevelFlags level, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  kl_log_with_field (G_LOG_DOMAIN, level, "LINE", self->line, self->name, format, args);
  va_end (args);
}

const char *
sipd_flow_keeper_state_to_string (SipdFlowKeeperState state)
{
  switch (state) {
  case SIPD_FLOW_KEEPER_STATE_IDLE:
    return "idle";
  case SIPD_FLOW_KEEPER_STATE_CONNECTING:
    return "connecting";
  case SIPD_FLOW_KEEPER_STATE_UP:
    return "up";
  case SIPD_FLOW_KEEPER_STATE_SUSPECT:
    return "suspect";
  case SIPD_FLOW_KEEPER_STATE_DOWN:
    return "down";
  }
  g_return_val_if_reached ("?");
}

/* The one place the state changes. The owner hears of it through notify(),
 * which every path calls last. */
static gboolean
set_state (SipdFlowKeeper *self, SipdFlowKeeperState state)
{
  if (self->state == state)
    return FALSE;
  keeper_log (self, G_LOG_LEVEL_DEBUG, "%s -> %s%s%s", sipd_flow_keeper_state_to_string (self->state),
              sipd_flow_keeper_state_to_string (state), self->reason && state == SIPD_FLOW_KEEPER_STATE_DOWN ? ": " : "",
              self->reason && state == SIPD_FLOW_KEEPER_STATE_DOWN ? self->reason : "");
  self->state = state;
  return TRUE;
}

static void
set_reason (SipdFlowKeeper *self, const char *reason, guint status)
{
  g_free (self->reason);
  self->reason = g_strdup (reason);
  self->failure_status = status;
}

/* Tells the owner, who may free the keeper: nothing may follow it. */
static void
notify (SipdFlowKeeper *self, gboolean state_changed)
{
  if (self->callbacks.flow_changed != NULL)
    self->callbacks.flow_changed (self, self->user_data);
  if (state_changed)
    self->callbacks.state_changed (self, self->user_data);
}

static gboolean
is_probe (SipdFlowKeeper *self)
{
  return self->backoff == SIPD_FLOW_KEEPER_BACKOFF_PROBE;
}

static gint64
retry_delay_ms (SipdFlowKeeper *self)
{
  KlClock *clock = sipd_stack_get_clock (self->stack);
  guint retry_after_s = self->registration ? sipd_registration_get_retry_after (self->registration) : 0;

  if (self->network_changed)
    return 0; /* the server did nothing wrong: the network changed under the flow */
  switch (self->backoff) {
  case SIPD_FLOW_KEEPER_BACKOFF_OUTBOUND:
    return sipd_backoff_delay_ms (clock, self->failures, TRUE, retry_after_s, self->scale_percent);
  case SIPD_FLOW_KEEPER_BACKOFF_SECOND_FLOW:
    return sipd_backoff_delay_ms (clock, self->failures, FALSE, retry_after_s, self->scale_percent);
  case SIPD_FLOW_KEEPER_BACKOFF_FIXED:
    return (gint64) self->fixed_retry_s * 1000;
  case SIPD_FLOW_KEEPER_BACKOFF_PROBE:
    return sipd_probe_delay_ms (clock, self->failures, self->scale_percent);
  }
  g_return_val_if_reached (0);
}

/* An attempt failed for good (every target tried): down, and a new one after
 * the back-off unless the keeper is held. */
static gboolean
attempt_failed (SipdFlowKeeper *self, const char *reason)
{
  gint64 delay_ms;

  self->failures++;
  delay_ms = retry_delay_ms (self);
  self->network_changed = FALSE;
  set_reason (self, reason, 0);
  if (!self->held) {
    keeper_log (self, G_LOG_LEVEL_DEBUG, "%s: next attempt in %" G_GINT64_FORMAT " ms (failure %u in a row)",
                reason, delay_ms, self->failures);
    kl_timer_start (self->retry_timer, delay_ms);
  }
  return set_state (self, SIPD_FLOW_KEEPER_STATE_DOWN);
}

static void
drop_flow (SipdFlowKeeper *self)
{
  g_clear_pointer (&self->options, sipd_options_ping_free);
  g_clear_pointer (&self->flow, sipd_flow_unref);
  self->pong_seen = FALSE;
}

static void keepalive_answered (SipdFlowKeeper *self);

static void
on_options_answered (guint status, gpointer user_data)
{
  SipdFlowKeeper *self = user_data;

  if (self->registration != NULL)
    return;
  /* a proxy that answers OPTIONS before any pong may send none: its
   * first CRLF ping must not fail the flow */
  if (!is_probe (self) && !self->pong_seen && self->flow != NULL)
    sipd_flow_stop_keepalive (self->flow);
  keepalive_answered (self); /* any answer: the server lives */
}

static void
on_options_failed (const char *reason, gpointer user_data)
{
  SipdFlowKeeper *self = user_data;
  g_autofree char *why = g_strdup_printf ("no answer to OPTIONS (%s)", reason);

  if (!is_probe (self) && self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_flow_fail (self->flow, why);
}

static const SipdOptionsPingCallbacks options_callbacks = { on_options_answered, on_options_failed };

static const char *
from_of (SipdFlowKeeper *self)
{
  return self->registration ? sipd_registration_get_aor (self->registration) : "sip:probe@keepline.invalid";
}

static void
flow_active (SipdFlowKeeper *self)
{
  if (self->registration != NULL) {
    sipd_registration_register (self->registration, self->flow);
    return;
  }
  /* no registration: up once a keep-alive is answered, a CRLF pong or an
   * answer to OPTIONS from a server without RFC 5626. A probe asks once; a
   * proxy's flow goes on asking with OPTIONS every "sip keep alive options
   * interval", and with CRLF pings too if the proxy answers them. */
  sipd_flow_keepalive_now (self->flow);
  g_clear_pointer (&self->options, sipd_options_ping_free);
  if (!is_probe (self) && self->options_keepalive_s == 0)
    return; /* CRLF pings alone, then: the administrator turned OPTIONS off */
  self->options = sipd_options_ping_new (self->stack, self->flow, from_of (self),
                                         is_probe (self) ? 0 : self->options_keepalive_s, &options_callbacks, self);
  sipd_options_ping_now (self->options);
}

/* RFC 3263 §4.3: the next target of the server, before the line fails over
 * to a backup server. FALSE when there is none. */
static gboolean
try_next_target (SipdFlowKeeper *self, const char *reason)
{
  const KlSipTarget *next;
  g_autofree char *address = NULL;

  if (self->held || !sipd_target_walk_next (self->targets))
    return FALSE;
  next = sipd_target_walk_current (self->targets);
  address = g_inet_address_to_string (next->address);
  keeper_log (self, G_LOG_LEVEL_MESSAGE, "%s: %s: trying its next target, %s:%u", self->server.host, reason, address,
              next->port);
  notify (self, set_state (self, SIPD_FLOW_KEEPER_STATE_CONNECTING));
  connect_flow (self);
  return TRUE;
}

/* A registrar without RFC 5626 gets no keep-alives and may close an idle
 * connection, as it is free to: not a failure of the server. Only after the
 * connection was idle for ORDINARY_CLOSE_MIN_S, so that a server that closes
 * every connection at once still fails as one. */
static gboolean
is_ordinary_close (SipdFlowKeeper *self)
{
  gint64 now_ms = kl_clock_now_ms (sipd_stack_get_clock (self->stack));

  gboolean up_without_outbound = self->registration != NULL
                                   ? sipd_registration_get_state (self->registration) ==
                                         SIPD_REGISTRATION_STATE_REGISTERED &&
                                       !sipd_registration_get_outbound (self->registration)
                                   : !is_probe (self) && sipd_flow_keeper_is_up (self);

  return self->flow != NULL && sipd_flow_was_closed_by_server (self->flow) && up_without_outbound &&
         now_ms - self->up_ms >= ORDINARY_CLOSE_MIN_S * 1000;
}

static void
flow_failed (SipdFlowKeeper *self, const char *reason)
{
  gboolean ordinary = is_ordinary_close (self);

  if (ordinary)
    self->flow_lost_at_edge = FALSE; /* the same at once, either way */
  self->flow_failures++;
  g_free (self->last_failure);
  self->last_failure = g_strdup (reason);
  drop_flow (self);
  if (self->registration != NULL)
    sipd_registration_stop (self->registration);

  if ((self->flow_lost_at_edge || ordinary) && !self->held) {
    self->flow_lost_at_edge = FALSE;
    keeper_log (self, G_LOG_LEVEL_MESSAGE, "%s %s (%s): a new flow to it", self->server.host,
                ordinary ? "closed the idle connection" : "lost the flow", reason);
    connect_flow (self);
    return;
  }
  if (!self->network_changed)
    sipd_target_walk_fail (self->targets, 0);
  if (try_next_target (self, reason))
    return;
  sipd_target_walk_restart (self->targets);
  notify (self, attempt_failed (self, reason));
}

/* An idle phone should not chatter on the bus: a keep-alive's round trip is
 * shown when it is the first, or moved by 10 ms and a quarter. */
static gboolean
rtt_worth_showing (gint64 shown_ms, gint64 rtt_ms)
{
  gint64 change = ABS (rtt_ms - shown_ms);

  return shown_ms < 0 || (change >= 10 && change * 4 >= shown_ms);
}

static void
keepalive_answered (SipdFlowKeeper *self)
{
  gboolean changed = FALSE;

  self->network_changed = FALSE;
  if (self->state == SIPD_FLOW_KEEPER_STATE_SUSPECT) {
    keeper_log (self, G_LOG_LEVEL_MESSAGE, "the flow answers its keep-alive: it is no longer suspect");
    changed = set_state (self, SIPD_FLOW_KEEPER_STATE_UP);
  } else if (self->registration == NULL && self->state == SIPD_FLOW_KEEPER_STATE_CONNECTING) {
    keeper_log (self, G_LOG_LEVEL_MESSAGE, "%s answers%s (attempt %u)", self->server.host,
                is_probe (self) ? " again" : "", self->failures + 1);
    self->failures = 0;
    self->up_ms = kl_clock_now_ms (sipd_stack_get_clock (self->stack));
    set_reason (self, NULL, 0);
    changed = set_state (self, SIPD_FLOW_KEEPER_STATE_UP);
  }
  if (changed || rtt_worth_showing (self->shown_rtt_ms, sipd_flow_get_rtt_ms (self->flow)))
    notify (self, changed);
}

/* An early sign that the server went silent: the line may start to move,
 * make before break, while the flow is still held. */
static void
flow_suspect (SipdFlowKeeper *self)
{
  if (self->state != SIPD_FLOW_KEEPER_STATE_UP)
    return;
  set_state (self, SIPD_FLOW_KEEPER_STATE_SUSPECT);
  notify (self, TRUE);
}

static void
on_flow_event (SipdStack *stack, SipdFlow *flow, SipdFlowEvent event, gpointer user_data)
{
  SipdFlowKeeper *self = user_data;

  if (flow != self->flow)
    return;
  if (event == SIPD_FLOW_EVENT_KEEPALIVE) {
    if (self->registration == NULL && !is_probe (self) && !self->pong_seen) {
      /* the proxy answers pings: they go on, and a new call can check the flow with one */
      self->pong_seen = TRUE;
      sipd_flow_start_keepalive (self->flow, 0, self->keepalive_s, self->suspect_floor_ms);
    }
    keepalive_answered (self);
    return;
  }
  if (event == SIPD_FLOW_EVENT_SUSPECT) {
    flow_suspect (self);
    return;
  }
  switch (sipd_flow_get_state (flow)) {
  case SIPD_FLOW_STATE_ACTIVE:
    notify (self, FALSE);
    if (!self->held)
      flow_active (self);
    break;
  case SIPD_FLOW_STATE_FAILED:
  case SIPD_FLOW_STATE_CLOSED: {
    g_autofree char *reason = g_strdup (sipd_flow_get_failure (flow) ? sipd_flow_get_failure (flow) : "closed");
    flow_failed (self, reason);
    break;
  }
  case SIPD_FLOW_STATE_CONNECTING:
    break;
  }
}

/* With outbound, CRLF or STUN pings that the registrar answers (RFC 5626
 * §4.4.1). Without it, SIP OPTIONS every "sip keep alive options interval",
 * any answer alive, and besides them the keep-alives the registrar agreed to
 * receive with keep=N (RFC 6223), every N s with no answer awaited: those
 * keep a NAT binding open but cannot tell a hung registrar. With the OPTIONS
 * interval 0, CRLF on persistent TLS as before. */
static void
start_keepalive (SipdFlowKeeper *self)
{
  gboolean outbound = sipd_registration_get_outbound (self->registration);
  guint keep_s = sipd_registration_get_keep (self->registration);

  g_clear_pointer (&self->options, sipd_options_ping_free);
  if (self->flow == NULL)
    return;
  if (!outbound && keep_s > 0)
    sipd_flow_start_unanswered_keepalive (self->flow, keep_s);
  else if (outbound || (self->keepalive_without_outbound && self->options_keepalive_s == 0))
    sipd_flow_start_keepalive (self->flow, outbound ? sipd_registration_get_flow_timer (self->registration) : 0,
                               self->keepalive_s, self->suspect_floor_ms);
  else
    sipd_flow_stop_keepalive (self->flow);
  if (!outbound && self->options_keepalive_s > 0)
    self->options = sipd_options_ping_new (self->stack, self->flow, from_of (self), self->options_keepalive_s,
                                           &options_callbacks, self);
}

static void
on_registration_changed (SipdRegistration *registration, gpointer user_data)
{
  SipdFlowKeeper *self = user_data;
  guint status;
  guint delay_s;

  switch (sipd_registration_get_state (registration)) {
  case SIPD_REGISTRATION_STATE_REGISTERED:
    self->failures = 0;
    self->edge_losses = 0;
    self->up_ms = kl_clock_now_ms (sipd_stack_get_clock (self->stack));
    self->network_changed = FALSE;
    set_reason (self, NULL, 0);
    start_keepalive (self);
    /* a refresh may bring another Flow-Timer: Flows shows the interval */
    notify (self, set_state (self, SIPD_FLOW_KEEPER_STATE_UP));
    break;
  case SIPD_REGISTRATION_STATE_FAILED:
    status = sipd_registration_get_failure_status (registration);
    if (status == 0) {
      /* unanswered, or the flow failed: the flow's failure drives what follows */
      if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
        sipd_flow_fail (self->flow, sipd_registration_get_failure (registration));
      return;
    }
    if (status == 430 && self->edge_losses++ == 0 && self->flow != NULL &&
        sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE) {
      /* RFC 5626 §11.6 Flow Failed: the edge lost this flow, not the server */
      self->flow_lost_at_edge = TRUE;
      sipd_flow_fail (self->flow, sipd_registration_get_failure (registration));
      return;
    }
    if (status == 503 || status == 500 || status == 408) {
      sipd_target_walk_fail (self->targets, sipd_registration_get_retry_after (registration));
      if (try_next_target (self, sipd_registration_get_failure (registration)))
        return;
      sipd_target_walk_restart (self->targets);
    }
    set_reason (self, sipd_registration_get_failure (registration), status);
    if (!self->held) {
      delay_s = sipd_registration_get_retry_after (registration);
      if (delay_s == 0)
        delay_s = self->rejected_retry_s;
      keeper_log (self, G_LOG_LEVEL_DEBUG, "%s: registering again in %u s", self->reason, delay_s);
      kl_timer_start (self->retry_timer, (gint64) delay_s * 1000);
    }
    set_state (self, SIPD_FLOW_KEEPER_STATE_DOWN);
    notify (self, TRUE);
    break;
  case SIPD_REGISTRATION_STATE_REGISTERING:
    if (set_state (self, SIPD_FLOW_KEEPER_STATE_CONNECTING))
      notify (self, TRUE);
    break;
  case SIPD_REGISTRATION_STATE_IDLE:
  case SIPD_REGISTRATION_STATE_UNREGISTERING:
    break;
  }
}

static void
use_target (SipdFlowKeeper *self)
{
  const KlSipTarget *target = sipd_target_walk_current (self->targets);
  SipdFlow *flow = sipd_server_get_flow (&self->server, self->stack, self->transport, target);

  if (flow == NULL) {
    self->unusable = TRUE;
    set_reason (self, self->transport == KL_TRANSPORT_TLS ? "TLS is not available" : "UDP cannot be used", 0);
    notify (self, set_state (self, SIPD_FLOW_KEEPER_STATE_DOWN));
    return;
  }
  drop_flow (self);
  self->flow = sipd_flow_ref (flow);
  notify (self, FALSE);
  if (sipd_flow_get_state (flow) == SIPD_FLOW_STATE_ACTIVE)
    flow_active (self);
}

static void
on_looked_up (const KlSipTargets *targets, const char *error, gpointer user_data)
{
  SipdFlowKeeper *self = user_data;

  self->lookup = NULL;
  if (targets == NULL) {
    g_autofree char *reason = NULL;

    if (sipd_target_walk_is_empty (self->targets)) {
      reason = g_strdup_printf ("cannot resolve %s: %s", self->server.host, error);
      notify (self, attempt_failed (self, reason));
      return;
    }
    keeper_log (self, G_LOG_LEVEL_MESSAGE, "cannot resolve %s (%s): using its last good targets", self->server.host,
                error);
  } else {
    sipd_target_walk_set (self->targets, targets);
  }
  if (sipd_target_walk_is_empty (self->targets)) {
    notify (self, attempt_failed (self, "none of its targets is preferred to the one in use"));
    return;
  }
  use_target (self);
}

/* Looks the server up and makes a flow to its current target. For an address
 * the lookup answers at once, and the keeper may be gone when it returns. */
static void
connect_flow (SipdFlowKeeper *self)
{
  SipdResolverLookup *lookup;

  g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
  kl_timer_stop (self->retry_timer);
  if (set_state (self, SIPD_FLOW_KEEPER_STATE_CONNECTING))
    notify (self, TRUE);
  lookup = sipd_resolver_lookup (self->resolver, &self->server, self->transport, on_looked_up, self);
  if (lookup != NULL)
    self->lookup = lookup;
}

static void
on_retry_due (gpointer user_data)
{
  SipdFlowKeeper *self = user_data;

  if (self->registration != NULL && self->flow != NULL &&
      sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE)
    sipd_registration_register (self->registration, self->flow);
  else
    connect_flow (self);
}

SipdFlowKeeper *
sipd_flow_keeper_new (SipdStack *stack,
                      SipdResolver *resolver,
                      const SipdFlowKeeperOptions *options,
                      const SipdFlowKeeperCallbacks *callbacks,
                      gpointer user_data)
{
  SipdFlowKeeper *self = g_new0 (SipdFlowKeeper, 1);

  self->stack = stack;
  self->resolver = resolver;
  self->server.host = g_strdup (options->server->host);
  self->server.port = options->server->port;
  self->transport = options->transport;
  self->backoff = options->backoff;
  self->fixed_retry_s = options->fixed_retry_s;
  self->rejected_retry_s = options->rejected_retry_s;
  self->keepalive_s = options->keepalive_s;
  self->suspect_floor_ms = options->suspect_floor_ms;
  self->keepalive_without_outbound = options->keepalive_without_outbound;
  self->options_keepalive_s = options->options_keepalive_s;
  self->scale_percent = options->scale_percent;
  self->failures = options->failures;
  self->line = options->line;
  self->name = g_strdup (options->name);
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->shown_rtt_ms = -1;
  if (options->registration != NULL)
    self->registration = sipd_registration_new (stack, options->registration, on_registration_changed, self);
  self->retry_timer = kl_timer_new (sipd_stack_get_clock (stack), on_retry_due, self);
  self->targets = sipd_target_walk_new (sipd_stack_get_clock (stack), options->scale_percent);
  sipd_target_walk_keep_below (self->targets, options->below_priority);
  self->watch = sipd_stack_add_flow_watch (stack, on_flow_event, self);
  return self;
}

void
sipd_flow_keeper_free (SipdFlowKeeper *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
  sipd_stack_remove_flow_watch (self->stack, self->watch);
  kl_timer_free (self->retry_timer);
  g_clear_pointer (&self->registration, sipd_registration_free);
  drop_flow (self);
  g_clear_pointer (&self->targets, sipd_target_walk_free);
  g_free (self->server.host);
  g_free (self->name);
  g_free (self->reason);
  g_free (self->last_failure);
  g_free (self);
}

/* A probe starts from a server known to have failed: it waits before its
 * first attempt. */
void
sipd_flow_keeper_start (SipdFlowKeeper *self)
{
  if (is_probe (self)) {
    set_state (self, SIPD_FLOW_KEEPER_STATE_DOWN);
    kl_timer_start (self->retry_timer,
                    sipd_probe_delay_ms (sipd_stack_get_clock (self->stack), self->failures, self->scale_percent));
    return;
  }
  connect_flow (self);
}

void
sipd_flow_keeper_start_at (SipdFlowKeeper *self, const KlSipTarget *target)
{
  sipd_target_walk_start_at (self->targets, target);
  sipd_flow_keeper_start (self);
}

void
sipd_flow_keeper_register_now (SipdFlowKeeper *self)
{
  self->held = FALSE;
  on_retry_due (self);
}

void
sipd_flow_keeper_hold (SipdFlowKeeper *self)
{
  self->held = TRUE;
  kl_timer_stop (self->retry_timer);
  if (self->lookup != NULL) {
    g_clear_pointer (&self->lookup, sipd_resolver_lookup_cancel);
    set_state (self, SIPD_FLOW_KEEPER_STATE_IDLE);
  }
}

void
sipd_flow_keeper_resume (SipdFlowKeeper *self)
{
  self->held = FALSE;
  if (!sipd_flow_keeper_is_up (self))
    connect_flow (self);
}

static void
ignore_changes (SipdRegistration *registration, gpointer user_data)
{
}

SipdRegistration *
sipd_flow_keeper_steal_registration (SipdFlowKeeper *self)
{
  self->held = TRUE;
  kl_timer_stop (self->retry_timer);
  if (self->registration != NULL)
    sipd_registration_set_handler (self->registration, ignore_changes, NULL);
  return g_steal_pointer (&self->registration);
}

/* The network */

/* A link went down or an address went: the flow may be dead, but a short
 * outage does not end a TCP connection, so it is only marked. */
void
sipd_flow_keeper_network_lost (SipdFlowKeeper *self)
{
  if (self->state != SIPD_FLOW_KEEPER_STATE_UP || self->held)
    return;
  keeper_log (self, G_LOG_LEVEL_MESSAGE, "the network lost a link or an address: the flow is suspect");
  set_state (self, SIPD_FLOW_KEEPER_STATE_SUSPECT);
  notify (self, TRUE);
}

/* A link came up or an address came: the flow is checked at once, and a
 * keeper waiting out its back-off tries now. */
void
sipd_flow_keeper_network_gained (SipdFlowKeeper *self, SipdNetmon *netmon)
{
  if (self->held)
    return;
  self->network_changed = TRUE;
  if (self->flow != NULL && sipd_flow_get_state (self->flow) == SIPD_FLOW_STATE_ACTIVE) {
    GInetSocketAddress *local = sipd_flow_get_local (self->flow);

    if (local != NULL && sipd_netmon_address_is_gone (netmon, g_inet_socket_address_get_address (local))) {
      g_autofree char *address = g_inet_address_to_string (g_inet_socket_address_get_address (local));
      g_autofree char *reason = g_strdup_printf ("its local address %s is gone", address);
      sipd_flow_fail (self->flow, reason);
      return;
    }
    keeper_log (self, G_LOG_LEVEL_MESSAGE, "the network gained a link or an address: checking the flow now");
    sipd_flow_keepalive_now (self->flow);
    return;
  }
  if (self->state == SIPD_FLOW_KEEPER_STATE_DOWN && self->failure_status == 0 &&
      kl_timer_is_active (self->retry_timer)) {
    keeper_log (self, G_LOG_LEVEL_MESSAGE, "the network gained a link or an address: a new flow now");
    self->failures = 0;
    connect_flow (self);
    return;
  }
  if (is_probe (self))
    self->failures = 0;
}

static gboolean
flow_goes_to (SipdFlow *flow, const KlSipTarget *target)
{
  GInetSocketAddress *remote = sipd_flow_get_remote (flow);

  return g_inet_socket_address_get_port (remote) == target->port &&
         g_inet_address_equal (g_inet_socket_address_get_address (remote), target->address);
}

gboolean
sipd_flow_keeper_targets_changed (SipdFlowKeeper *self,
                                  const char *host,
                                  guint16 port,
                                  KlTransport transport,
                                  const KlSipTargets *targets)
{
  if (targets->targets->len == 0 || transport != self->transport || port != self->server.port ||
      g_ascii_strcasecmp (host, self->server.host) != 0)
    return FALSE;
  sipd_target_walk_set (self->targets, targets);
  return sipd_flow_keeper_is_up (self) && self->flow != NULL &&
         !flow_goes_to (self->flow, g_ptr_array_index (targets->targets, 0));
}

