/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a line is in its life, and the one transition function between those
 * places: a pure function of the state, what happened, and two facts (whether
 * the plan the line moves to is on backup servers, whether something is still
 * registered). The line does what a transition asks; this file only decides it.
 *
 *   disabled ──configured──▶ registering ──up──▶ registered / on-backup
 *   registered / on-backup ──primary failed──▶ failing-over ──up──▶ on-backup
 *   registered ──primary suspect──▶ suspecting ──primary failed──▶ failing-over
 *   suspecting ──suspicion cleared──▶ registered
 *   on-backup ──primary answers again──▶ failing-back ──up──▶ registered
 *   failing-back ──primary failed again──▶ failing-over (back to the backup)
 *   registered / on-backup ──DNS moved the server──▶ moving ──up──▶ registered / on-backup
 *   registered / on-backup ──a better SRV target answers──▶ returning ──up──▶ registered / on-backup
 *   any ──flow failed, nothing to fail over to──▶ backing-off ──retry──▶ registering
 *   any ──registrar refused──▶ rejected ──retry──▶ registering
 *
 * A move keeps what the line had until the new plan is up (make before break),
 * so "moving", "returning", "suspecting", "failing-over" and "failing-back" may still count
 * as registered; "suspecting" stays while the backup registers and is up, until
 * the suspect primary flow answers or fails;
 * a failure of the new plan then leaves the state as it is. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPD_LINE_STATE_DISABLED,     /* no user name configured */
  SIPD_LINE_STATE_REGISTERING,  /* registering with the servers it uses, nothing else registered */
  SIPD_LINE_STATE_REGISTERED,   /* registered with its primary servers */
  SIPD_LINE_STATE_MOVING,       /* the same servers at new addresses (DNS): registering there */
  SIPD_LINE_STATE_RETURNING,    /* a better SRV target of its server answers again: registering there */
  SIPD_LINE_STATE_SUSPECTING,   /* the primary's flow is suspect: registering with the backup, the primary held */
  SIPD_LINE_STATE_FAILING_OVER, /* a primary failed: registering with the backup servers */
  SIPD_LINE_STATE_ON_BACKUP,    /* registered with backup servers */
  SIPD_LINE_STATE_FAILING_BACK, /* a failed primary answers again: registering with it */
  SIPD_LINE_STATE_BACKING_OFF,  /* the flow failed and nothing else can serve: a new flow after the back-off */
  SIPD_LINE_STATE_REJECTED,     /* the registrar refused, or the transport cannot be used */
} SipdLineState;

typedef enum {
  SIPD_LINE_EVENT_CONFIGURED,      /* the line has a user name: it starts */
  SIPD_LINE_EVENT_UNCONFIGURED,    /* it has none any more */
  SIPD_LINE_EVENT_CONNECTING,      /* the plan's flow is being made, or its REGISTER was sent */
  SIPD_LINE_EVENT_UP,              /* the plan the line moved to is registered */
  SIPD_LINE_EVENT_FLOW_DOWN,       /* its flow failed, and no backup takes over */
  SIPD_LINE_EVENT_REJECTED,        /* its registrar refused, and no backup takes over */
  SIPD_LINE_EVENT_PRIMARY_SUSPECT, /* the flow to a primary with a backup is suspect: the backup registers too */
  SIPD_LINE_EVENT_SUSPICION_CLEARED, /* the suspect flow answered: the backup is withdrawn */
  SIPD_LINE_EVENT_PRIMARY_FAILED,  /* a primary with a backup failed: the line moves to the backup */
  SIPD_LINE_EVENT_PRIMARY_BACK,    /* a failed primary answers again: the line moves back */
  SIPD_LINE_EVENT_DNS_MOVED,       /* the server of its flow has new addresses */
  SIPD_LINE_EVENT_TARGET_BACK,     /* a target of its server with a better SRV priority answers again */
} SipdLineEvent;

typedef struct {
  gboolean on_backup;          /* the plan the line uses or moves to has backup servers */
  gboolean registered_before;  /* what the line is moving away from is still registered */
} SipdLineFacts;

SipdLineState sipd_line_state_next (SipdLineState state, SipdLineEvent event, const SipdLineFacts *facts);
const char *sipd_line_state_to_string (SipdLineState state);
const char *sipd_line_event_to_string (SipdLineEvent event);
/* The State property: "disabled", "registering", "registered" or "failed". */
const char *sipd_line_state_to_public (SipdLineState state, gboolean registered_before);

G_END_DECLS
