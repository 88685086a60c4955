/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A server's address: an address literal at once, a name through GResolver
 * (A/AAAA) without blocking. The first address is the one used. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* address is NULL when the lookup failed; error says why */
typedef void (*SipdLookupFunc) (GInetAddress *address, const char *error, gpointer user_data);
typedef struct _SipdLookup SipdLookup;

/* For an address literal, func runs before this returns NULL; otherwise it runs
 * later, unless sipd_lookup_cancel() came first. */
SipdLookup *sipd_lookup_start (const char *host, SipdLookupFunc func, gpointer user_data);
void sipd_lookup_cancel (SipdLookup *lookup);

G_END_DECLS
