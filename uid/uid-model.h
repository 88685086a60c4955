/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What uid knows of the phone: sipd's lines and calls (its object manager)
 * and netmond's network state, followed over D-Bus as they change, through
 * restarts of either daemon. A snapshot of it is what the screen shows; a
 * failover or failback of a line shows as a notice for UID_MODEL_NOTICE_S. */
#pragma once

#include <gio/gio.h>

#include "kl-dbus.h"
#include "uid-screen.h"

G_BEGIN_DECLS

#define UID_MODEL_NOTICE_S 10

typedef struct _UidModel UidModel;
typedef void (*UidModelChangedFunc) (gpointer user_data);

/* One moment of the model: the screen model, and the object path of each of
 * its calls (for the soft keys). Valid while the model lives. */
typedef struct {
  UidScreenModel screen;
  GArray *lines;      /* of UidLineInfo */
  GArray *lamps;      /* of UidLamp */
  GArray *calls;      /* of UidCallInfo */
  GPtrArray *paths;   /* of the calls */
  GPtrArray *strings; /* what the infos point into */
} UidSnapshot;

UidModel *uid_model_new (UidModelChangedFunc changed, gpointer user_data);
void uid_model_free (UidModel *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UidModel, uid_model_free)

void uid_model_watch (UidModel *self, GDBusConnection *connection);
/* Stops following sipd and netmond, before the connection closes. */
void uid_model_stop (UidModel *self);

UidSnapshot *uid_model_snapshot (UidModel *self);
void uid_snapshot_free (UidSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UidSnapshot, uid_snapshot_free)

/* The call at PATH, to act on it, or NULL. */
KlSipCall1 *uid_model_get_call (UidModel *self, const char *path);
/* The local address of line INDEX's first flow ("127.0.0.1"), or NULL. */
char *uid_model_dup_line_address (UidModel *self, guint index);

G_END_DECLS
