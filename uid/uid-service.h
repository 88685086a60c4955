/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uid's D-Bus object: the screen, rebuilt whenever sipd or netmond change;
 * with a terminal (uid --tty), drawn there too, its soft keys answering,
 * rejecting and hanging up calls through sipd. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define UID_SERVICE_PATH "/org/keepline/Ui"

typedef struct _UidService UidService;

UidService *uid_service_new (gboolean tty);
void uid_service_free (UidService *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UidService, uid_service_free)

gboolean uid_service_export (UidService *self, GDBusConnection *connection, GError **error);
void uid_service_unexport (UidService *self);

G_END_DECLS
