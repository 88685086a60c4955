/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One phone line: its settings, its flow and registration, the recovery of the
 * flow when it fails, and its D-Bus object. */
#pragma once

#include <gio/gio.h>

#include "kl-config.h"
#include "kl-dbus.h"
#include "sipd-line-settings.h"
#include "sipd-resolver.h"
#include "sipd-netmon.h"
#include "sipd-stack.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_LINE_STATE_DISABLED,
  SIPD_LINE_STATE_UNREGISTERED,
  SIPD_LINE_STATE_REGISTERING,
  SIPD_LINE_STATE_REGISTERED,
  SIPD_LINE_STATE_FAILED,
} SipdLineState;

/* What all lines share; owned by the manager, outlives the lines. */
typedef struct {
  KlClock *clock;
  SipdStack *stack;
  SipdResolver *resolver;
  char *instance_id;
  char *user_agent;
  char *tls_problem; /* why TLS cannot be used, or NULL */
} SipdLineContext;

typedef struct _SipdLine SipdLine;

SipdLine *sipd_line_new (guint index, SipdLineContext *context);
void sipd_line_free (SipdLine *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdLine, sipd_line_free)

guint sipd_line_get_index (SipdLine *self);
const char *sipd_line_get_object_path (SipdLine *self);
KlObjectSkeleton *sipd_line_get_object (SipdLine *self);
SipdLineState sipd_line_get_state (SipdLine *self);
const SipdLineSettings *sipd_line_get_settings (SipdLine *self);
KlSipLine1 *sipd_line_get_iface (SipdLine *self);
const char *sipd_line_state_to_string (SipdLineState state);

void sipd_line_apply_config (SipdLine *self, KlConfig *config);
void sipd_line_stop (SipdLine *self);
void sipd_line_say_goodbye (SipdLine *self);
gboolean sipd_line_is_quiet (SipdLine *self);
void sipd_line_detach (SipdLine *self);
gboolean sipd_line_handle_notify (SipdLine *self, SipdFlow *flow, SipdMessage *notify);
void sipd_line_attach (SipdLine *self);

void sipd_line_network_lost (SipdLine *self);
void sipd_line_network_gained (SipdLine *self, SipdNetmon *netmon);
void sipd_line_targets_changed (SipdLine *self,
                                const char *host,
                                guint16 port,
                                KlTransport transport,
                                const KlSipTargets *targets);
void sipd_line_add_watched_servers (SipdLine *self, GHashTable *seen, GVariantBuilder *servers);

G_END_DECLS
