/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a D-Bus caller gives a call, checked before anything is sent: the SDP
 * (parsed with sofia-sip's sdp_parse) and the number or URI to call. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIPD_MAX_SDP_SIZE 16384 /* far above a real offer; keeps a bad caller from growing our messages */
#define SIPD_MAX_URI_SIZE 512

/* NULL-safe: an empty SDP is refused too. */
gboolean sipd_sdp_check (const char *sdp, GError **error);
/* The Request-URI to call: a sip: or sips: URI as given, or a bare number or
 * user made into sip:user@domain. */
char *sipd_call_target_uri (const char *input, const char *domain, GError **error);
/* Whether the input is a bare number or user, whose domain is the line's. */
gboolean sipd_call_target_is_user (const char *input);
/* The host of "sip:user@host;params", or NULL. */
char *sipd_uri_host (const char *uri);

G_END_DECLS
