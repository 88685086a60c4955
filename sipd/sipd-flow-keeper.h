/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A flow keeper: the live flow to one next hop. It looks the server up (netmond
 * or sipd's own resolver), walks its targets, connects, registers over the flow
 * when it has a registration to keep (one reg-id), keeps the flow alive, backs
 * off after a failure, and follows the network. It says where it is — up,
 * suspect, down with a reason — and which flow a new request to its next hop
 * should use now.
 *
 * One kind serves every flow of a line: the registration with its primary or
 * backup servers (RFC 5626 §4.5 back-off with base 30 s, or the "registration
 * timeout retry timer" without outbound), the dual flow's reg-id 2 (base 90 s:
 * another flow works), the flow to a proxy that is not the registrar (no
 * registration: up once a keep-alive is answered, then SIP OPTIONS keep it
 * alive) and the probe of a failed primary (no registration: up once a
 * keep-alive is answered; 5-10 s between attempts, doubling).
 *
 * The owner may free the keeper when it is told that the keeper is up or down:
 * the keeper calls it last then. Told that it is connecting, the owner must not. */
#pragma once

#include "sipd-line-settings.h"
#include "sipd-netmon.h"
#include "sipd-registration.h"
#include "sipd-resolver.h"
#include "sipd-stack.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_FLOW_KEEPER_STATE_IDLE,       /* not started, or held before its first flow */
  SIPD_FLOW_KEEPER_STATE_CONNECTING, /* looking up, connecting, registering or probing */
  SIPD_FLOW_KEEPER_STATE_UP,         /* the flow is active; registered, or a probe answered */
  SIPD_FLOW_KEEPER_STATE_SUSPECT,    /* up, but the network lost something, or the flow is suspect (sipd_flow_is_suspect) */
  SIPD_FLOW_KEEPER_STATE_DOWN,       /* failed; see the reason; a new attempt is due unless it is held */
} SipdFlowKeeperState;

typedef enum {
  SIPD_FLOW_KEEPER_BACKOFF_OUTBOUND,    /* RFC 5626 §4.5 with base 30 s: no other flow of the line works */
  SIPD_FLOW_KEEPER_BACKOFF_SECOND_FLOW, /* RFC 5626 §4.5 with base 90 s: another flow works */
  SIPD_FLOW_KEEPER_BACKOFF_FIXED,       /* the same wait each time (outbound off) */
  SIPD_FLOW_KEEPER_BACKOFF_PROBE,       /* 5-10 s, doubled for each failed attempt, up to three times */
} SipdFlowKeeperBackoff;

typedef struct {
  const SipdServer *server; /* the next hop */
  KlTransport transport;
  /* what to register over the flow; NULL for a probe or a proxy's flow */
  const SipdRegistrationConfig *registration;
  SipdFlowKeeperBackoff backoff;
  guint fixed_retry_s;      /* BACKOFF_FIXED: after a failed flow */
  guint rejected_retry_s;   /* after a refused REGISTER without Retry-After */
  guint keepalive_s;        /* configured keep-alive interval; 0 = the RFC's */
  guint suspect_floor_ms;   /* the least a keep-alive may take before the flow is suspect; 0 = 1 s */
  gboolean keepalive_without_outbound; /* persistent TLS keeps its connection alive */
  guint options_keepalive_s; /* without outbound: SIP OPTIONS this often instead; 0 = none */
  guint scale_percent;      /* "sip timer scale percent" */
  guint failures;           /* failed attempts already: a probe waits longer at first */
  guint16 below_priority;   /* a probe of preferred SRV targets: those of a priority below this; 0 = all */
  guint line;               /* for the LINE= field of its logs */
  const char *name;         /* for its logs: "line 1", "line 1 second flow" … */
} SipdFlowKeeperOptions;

typedef struct _SipdFlowKeeper SipdFlowKeeper;

typedef struct {
  /* see sipd_flow_keeper_get_state() */
  void (*state_changed) (SipdFlowKeeper *keeper, gpointer user_data);
  /* what Flows shows of it changed: its flow, the flow's state, a round trip worth showing */
  void (*flow_changed) (SipdFlowKeeper *keeper, gpointer user_data);
} SipdFlowKeeperCallbacks;

/* What the line's Flows property shows of a keeper. */
typedef struct {
  KlTransport transport;
  char *local;  /* host:port, empty while there is no flow */
  char *remote; /* host:port; the server as configured while backing off */
  const char *state; /* "connecting", "active", "suspect", "failed" or "backoff" */
  gint32 rtt_ms;
  guint keepalive_s; /* see sipd_flow_get_keepalive_s() */
  guint failures;
  const char *last_failure;
} SipdFlowKeeperView;

SipdFlowKeeper *sipd_flow_keeper_new (SipdStack *stack,
                                      SipdResolver *resolver,
                                      const SipdFlowKeeperOptions *options,
                                      const SipdFlowKeeperCallbacks *callbacks,
                                      gpointer user_data);
void sipd_flow_keeper_free (SipdFlowKeeper *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdFlowKeeper, sipd_flow_keeper_free)

void sipd_flow_keeper_start (SipdFlowKeeper *self);
/* Starts with TARGET of its server when a lookup still gives it: a return to
 * a target a probe found alive. */
void sipd_flow_keeper_start_at (SipdFlowKeeper *self, const KlSipTarget *target);
/* Registers again now; over a new flow when the flow is not active. */
void sipd_flow_keeper_register_now (SipdFlowKeeper *self);
/* Keeps what it has, tries nothing new: a plan the line is leaving. */
void sipd_flow_keeper_hold (SipdFlowKeeper *self);
/* Goes on after a hold: a new flow now unless it is up. */
void sipd_flow_keeper_resume (SipdFlowKeeper *self);
/* For the owner to remove the binding elsewhere; the keeper registers no more. */
SipdRegistration *sipd_flow_keeper_steal_registration (SipdFlowKeeper *self);

void sipd_flow_keeper_network_lost (SipdFlowKeeper *self);
void sipd_flow_keeper_network_gained (SipdFlowKeeper *self, SipdNetmon *netmon);
/* netmond resolved a server again; TRUE when it is this keeper's, the keeper
 * is up, and its flow does not go to the first of the new targets. */
gboolean sipd_flow_keeper_targets_changed (SipdFlowKeeper *self,
                                           const char *host,
                                           guint16 port,
                                           KlTransport transport,
                                           const KlSipTargets *targets);

SipdFlowKeeperState sipd_flow_keeper_get_state (SipdFlowKeeper *self);
const char *sipd_flow_keeper_state_to_string (SipdFlowKeeperState state);
gboolean sipd_flow_keeper_is_up (SipdFlowKeeper *self);
/* Why it is down: a flow failure or a refusal; NULL otherwise. */
const char *sipd_flow_keeper_get_reason (SipdFlowKeeper *self);
/* The status of the refused REGISTER that took it down; 0 for a flow failure. */
guint sipd_flow_keeper_get_failure_status (SipdFlowKeeper *self);
/* FALSE when it is down for good: the transport cannot be used. */
gboolean sipd_flow_keeper_will_retry (SipdFlowKeeper *self);
gint64 sipd_flow_keeper_get_retry_delay_ms (SipdFlowKeeper *self);
/* The flow a new request to the next hop should use now: active, or NULL. */
SipdFlow *sipd_flow_keeper_get_flow (SipdFlowKeeper *self);
SipdRegistration *sipd_flow_keeper_get_registration (SipdFlowKeeper *self);
const SipdServer *sipd_flow_keeper_get_server (SipdFlowKeeper *self);
/* The target of the server its flow goes to, or NULL without a flow. */
const KlSipTarget *sipd_flow_keeper_get_target (SipdFlowKeeper *self);
/* The server's targets as last looked up (those it may walk), or NULL. */
const KlSipTargets *sipd_flow_keeper_get_targets (SipdFlowKeeper *self);
/* FALSE when Flows shows nothing of it: no flow, and not waiting for one. */
gboolean sipd_flow_keeper_view (SipdFlowKeeper *self, SipdFlowKeeperView *ret_view);
void sipd_flow_keeper_view_clear (SipdFlowKeeperView *view);

G_END_DECLS
