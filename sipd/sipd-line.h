/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One phone line: its configuration and its D-Bus object. */
#pragma once

#include <gio/gio.h>

#include "kl-config.h"
#include "kl-dbus.h"

G_BEGIN_DECLS

typedef enum {
  SIPD_LINE_STATE_DISABLED,
  SIPD_LINE_STATE_UNREGISTERED,
  SIPD_LINE_STATE_REGISTERING,
  SIPD_LINE_STATE_REGISTERED,
  SIPD_LINE_STATE_FAILED,
} SipdLineState;

typedef struct _SipdLine SipdLine;

SipdLine *sipd_line_new (guint index);
void sipd_line_free (SipdLine *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdLine, sipd_line_free)

guint sipd_line_get_index (SipdLine *self);
const char *sipd_line_get_object_path (SipdLine *self);
KlObjectSkeleton *sipd_line_get_object (SipdLine *self);
SipdLineState sipd_line_get_state (SipdLine *self);
const char *sipd_line_state_to_string (SipdLineState state);

void sipd_line_apply_config (SipdLine *self, KlConfig *config);

char *sipd_format_host_port (const char *host, guint16 port);

G_END_DECLS
