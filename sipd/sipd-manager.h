/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's top object: the configuration in force, the nine lines, and
 * their D-Bus objects under /org/keepline/Sip. */
#pragma once

#include <gio/gio.h>

#include "kl-config.h"
#include "kl-clock.h"

G_BEGIN_DECLS

#define SIPD_MANAGER_PATH "/org/keepline/Sip"

typedef struct _SipdManager SipdManager;

SipdManager *sipd_manager_new (const KlConfigSource *source,
                               const char *state_dir,
                               KlClock *clock,
                               KlConfig *config,
                               GError **error);
void sipd_manager_free (SipdManager *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdManager, sipd_manager_free)

gboolean sipd_manager_export (SipdManager *self, GDBusConnection *connection, GError **error);
void sipd_manager_unexport (SipdManager *self);
void sipd_manager_say_goodbye (SipdManager *self, guint timeout_ms);
gboolean sipd_manager_reload (SipdManager *self, GError **error);
KlConfig *sipd_manager_get_config (SipdManager *self);

G_END_DECLS
