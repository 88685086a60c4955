/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phone's +sip.instance (RFC 5626 §4.1): a URN that stays the same across
 * reboots. Derived from the MAC address when there is one (a name-based UUID,
 * RFC 4122 version 5), else made once at random and kept in the state directory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sipd_instance_id_from_mac (const char *mac);
char *sipd_instance_id_load_or_create (const char *state_dir, GError **error);

G_END_DECLS
