/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SIP messages: parsed with sofia-sip's parser (msg_t, sip_t), and built as text
 * with the headers of a request copied through sofia-sip's printer. */
#pragma once

#include <gio/gio.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>

G_BEGIN_DECLS

typedef struct _SipdMessage SipdMessage;

SipdMessage *sipd_message_parse (const guint8 *data, gsize length, GError **error);
SipdMessage *sipd_message_ref (SipdMessage *self);
void sipd_message_unref (SipdMessage *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdMessage, sipd_message_unref)

sip_t *sipd_message_get_sip (SipdMessage *self);
gboolean sipd_message_is_request (SipdMessage *self);
guint sipd_message_get_status (SipdMessage *self);
const char *sipd_message_get_reason (SipdMessage *self);
const char *sipd_message_get_method (SipdMessage *self);
const char *sipd_message_get_branch (SipdMessage *self);
const char *sipd_message_get_call_id (SipdMessage *self);
const char *sipd_message_get_unknown_header (SipdMessage *self, const char *name);
gboolean sipd_message_has_option_tag (SipdMessage *self, const char *header, const char *tag);
char *sipd_message_print_header (SipdMessage *self, const void *header);
/* A URI as text that fits a request line or a header: a byte that no SIP URI
 * may hold (a space or another control, a quote, an angle bracket, non-ASCII,
 * a % that starts no escape) is %-escaped (RFC 3261 §25.1), so that a
 * malformed Contact a server sent cannot break the phone's next request. */
char *sipd_message_print_uri (SipdMessage *self, const url_t *url);
/* Whether a URI may be the target of the phone's own requests: a sip: or
 * sips: URI with a host that the phone's parser takes in a request line. */
gboolean sipd_message_is_target (const char *uri);
GBytes *sipd_message_get_body (SipdMessage *self);
char *sipd_message_describe (SipdMessage *self);
char *sipd_message_describe_refusal (SipdMessage *self);

/* Building */

typedef struct _SipdBuilder SipdBuilder;

SipdBuilder *sipd_builder_new_request (const char *method, const char *uri);
SipdBuilder *sipd_builder_new_response (SipdMessage *request, guint status, const char *reason, const char *to_tag);
G_GNUC_PRINTF (3, 4)
void sipd_builder_add (SipdBuilder *self, const char *name, const char *format, ...);
GBytes *sipd_builder_finish (SipdBuilder *self, const char *content_type, const char *body);
void sipd_builder_free (SipdBuilder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdBuilder, sipd_builder_free)

char *sipd_random_token (guint length);
char *sipd_new_branch (void);
char *sipd_quote (const char *text);

G_END_DECLS
