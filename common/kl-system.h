/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *kl_system_mac (void);
/* What orders SRV targets of one priority for this phone, the same in sipd
 * and netmond: from its MAC address, else the machine ID. */
guint32 kl_system_srv_seed (const char *mac);

G_END_DECLS
