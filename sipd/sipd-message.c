/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-message"

#include "sipd-message.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <string.h>

#include "kl-random.h"
#include "sipd-error.h"

struct _SipdMessage {
  gint ref_count;
  msg_t *msg;
  sip_t *sip;
  char *reason; /* the reason phrase as valid UTF-8 */
};

struct _SipdBuilder {
  GString *text;
};

SipdMessage *
sipd_message_parse (const guint8 *data, gsize length, GError **error)
{
  g_autoptr (SipdMessage) self = g_new0 (SipdMessage, 1);
  const char *missing = NULL;

  self->ref_count = 1;
  /* msg_make wants text; a message with a NUL byte is cut there and fails below */
  self->msg = msg_make (sip_default_mclass (), 0, (const char *) data, (isize_t) length);
  if (self->msg == NULL) {
    g_set_error_literal (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "not a SIP message");
    return NULL;
  }
  self->sip = sip_object (self->msg);
  if (self->sip->sip_request == NULL && self->sip->sip_status == NULL)
    missing = "request or status line";
  else if (self->sip->sip_via == NULL)
    missing = "Via";
  else if (self->sip->sip_from == NULL)
    missing = "From";
  else if (self->sip->sip_to == NULL)
    missing = "To";
  else if (self->sip->sip_call_id == NULL)
    missing = "Call-ID";
  else if (self->sip->sip_cseq == NULL)
    missing = "CSeq";
  if (missing != NULL) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "no valid %s", missing);
    return NULL;
  }
  if (self->sip->sip_status != NULL && self->sip->sip_status->st_phrase != NULL)
    self->reason = g_utf8_make_valid (self->sip->sip_status->st_phrase, -1);
  return g_steal_pointer (&self);
}

SipdMessage *
sipd_message_ref (SipdMessage *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
sipd_message_unref (SipdMessage *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  if (self->msg != NULL)
    msg_destroy (self->msg);
  g_free (self->reason);
  g_free (self);
}

sip_t *
sipd_message_get_sip (SipdMessage *self)
{
  return self->sip;
}

gboolean
sipd_message_is_request (SipdMessage *self)
{
  return self->sip->sip_request != NULL;
}

guint
sipd_message_get_status (SipdMessage *self)
{
  return self->sip->sip_status ? (guint) self->sip->sip_status->st_status : 0;
}

const char *
sipd_message_get_reason (SipdMessage *self)
{
  return self->reason ? self->reason : "";
}

const char *
sipd_message_get_method (SipdMessage *self)
{
  if (self->sip->sip_request != NULL)
    return self->sip->sip_request->rq_method_name;
  return self->sip->sip_cseq->cs_method_name;
}

const char *
sipd_message_get_branch (SipdMessage *self)
{
  return self->sip->sip_via->v_branch;
}

const char *
sipd_message_get_call_id (SipdMessage *self)
{
  return self->sip->sip_call_id->i_id;
}

/* The value of the first header sofia-sip does not know, such as Flow-Timer. */
const char *
sipd_message_get_unknown_header (SipdMessage *self, const char *name)
{
  for (sip_unknown_t *u = self->sip->sip_unknown; u != NULL; u = u->un_next) {
    if (g_ascii_strcasecmp (u->un_name, name) == 0)
      return u->un_value;
  }
  return NULL;
}

/* Whether a Require, Supported or similar list header carries an option tag. */
gboolean
sipd_message_has_option_tag (SipdMessage *self, const char *header, const char *tag)
{
  const msg_list_t *list = NULL;

  if (g_ascii_strcasecmp (header, "Require") == 0)
    list = (const msg_list_t *) self->sip->sip_require;
  else if (g_ascii_strcasecmp (header, "Supported") == 0)
    list = (const msg_list_t *) self->sip->sip_supported;
  for (; list != NULL; list = list->k_next) {
    for (guint i = 0; list->k_items && list->k_items[i]; i++) {
      if (g_ascii_strcasecmp (list->k_items[i], tag) == 0)
        return TRUE;
    }
  }
  return FALSE;
}

/* One header (not its next instances) as text, without the name; valid
 * UTF-8, as whatever comes from the network must be before it reaches D-Bus. */
char *
sipd_message_print_header (SipdMessage *self, const void *header)
{
  char *text = sip_header_as_string (msg_home (self->msg), header);
  char *copy = g_utf8_make_valid (text ? text : "", -1);

  su_free (msg_home (self->msg), text);
  return copy;
}

char *
sipd_message_print_uri (SipdMessage *self, const url_t *url)
{
  char *text = url_as_string (msg_home (self->msg), url);
  GString *out = g_string_new (NULL);

  for (const char *p = text ? text : ""; *p != '\0'; p++) {
    guchar c = (guchar) *p;
    gboolean escape_ok = c == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]);

    if (c <= 0x20 || c >= 0x7f || strchr ("<>\"{}|\\^`", c) != NULL || (c == '%' && !escape_ok))
      g_string_append_printf (out, "%%%02X", c);
    else
      g_string_append_c (out, (char) c);
  }
  su_free (msg_home (self->msg), text);
  return g_string_free (out, FALSE);
}

gboolean
sipd_message_is_target (const char *uri)
{
  g_autofree char *text = g_strdup_printf ("OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKt\r\n"
                                           "From: <sip:t@t>;tag=t\r\nTo: <sip:t@t>\r\nCall-ID: t\r\n"
                                           "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", uri);
  g_autoptr (SipdMessage) request = sipd_message_parse ((const guint8 *) text, strlen (text), NULL);
  const url_t *url = request ? request->sip->sip_request->rq_url : NULL;

  return url != NULL && (url->url_type == url_sip || url->url_type == url_sips) && url->url_host != NULL &&
         *url->url_host != '\0';
}

GBytes *
sipd_message_get_body (SipdMessage *self)
{
  const sip_payload_t *payload = self->sip->sip_payload;

  if (payload == NULL)
    return g_bytes_new (NULL, 0);
  return g_bytes_new (payload->pl_data, payload->pl_len);
}

/* "REGISTER sip:x (CSeq 2)" or "401 Unauthorized to REGISTER", for logs */
char *
sipd_message_describe (SipdMessage *self)
{
  if (sipd_message_is_request (self)) {
    g_autofree char *uri = sipd_message_print_uri (self, self->sip->sip_request->rq_url);
    return g_strdup_printf ("%s %s", sipd_message_get_method (self), uri);
  }
  return g_strdup_printf ("%u %s to %s", sipd_message_get_status (self), sipd_message_get_reason (self),
                          sipd_message_get_method (self));
}

/* "420 Bad Extension: the server does not support outbound": a final
 * response as LastError shows it, naming the extension of a 420 or 421. */
char *
sipd_message_describe_refusal (SipdMessage *self)
{
  guint status = sipd_message_get_status (self);
  const msg_list_t *list = status == 420 ? self->sip->sip_unsupported
                           : status == 421 ? self->sip->sip_require
                                           : NULL;
  g_autofree char *names = NULL;

  if (list == NULL || list->k_items == NULL)
    return g_strdup_printf ("%u %s", status, sipd_message_get_reason (self));
  names = sipd_message_print_header (self, list);
  return g_strdup_printf ("%u %s: the server %s %s", status, sipd_message_get_reason (self),
                          status == 420 ? "does not support" : "requires", names);
}

/* Building */

SipdBuilder *
sipd_builder_new_request (const char *method, const char *uri)
{
  SipdBuilder *self = g_new0 (SipdBuilder, 1);

  self->text = g_string_new (NULL);
  g_string_append_printf (self->text, "%s %s SIP/2.0\r\n", method, uri);
  return self;
}

/* A response to a request: its Vias, From, To (with our tag), Call-ID and CSeq. */
SipdBuilder *
sipd_builder_new_response (SipdMessage *request, guint status, const char *reason, const char *to_tag)
{
  SipdBuilder *self = g_new0 (SipdBuilder, 1);
  sip_t *sip = request->sip;
  g_autofree char *from = sipd_message_print_header (request, sip->sip_from);
  g_autofree char *to = sipd_message_print_header (request, sip->sip_to);
  g_autofree char *cseq = sipd_message_print_header (request, sip->sip_cseq);

  self->text = g_string_new (NULL);
  g_string_append_printf (self->text, "SIP/2.0 %u %s\r\n", status, reason);
  for (sip_via_t *via = sip->sip_via; via != NULL; via = via->v_next) {
    g_autofree char *text = sipd_message_print_header (request, via);
    g_string_append_printf (self->text, "Via: %s\r\n", text);
  }
  g_string_append_printf (self->text, "From: %s\r\n", from);
  if (sip->sip_to->a_tag == NULL && to_tag != NULL && status > 100)
    g_string_append_printf (self->text, "To: %s;tag=%s\r\n", to, to_tag);
  else
    g_string_append_printf (self->text, "To: %s\r\n", to);
  g_string_append_printf (self->text, "Call-ID: %s\r\n", sip->sip_call_id->i_id);
  g_string_append_printf (self->text, "CSeq: %s\r\n", cseq);
  return self;
}

void
sipd_builder_add (SipdBuilder *self, const char *name, const char *format, ...)
{
  va_list args;

  g_string_append_printf (self->text, "%s: ", name);
  va_start (args, format);
  g_string_append_vprintf (self->text, format, args);
  va_end (args);
  g_string_append (self->text, "\r\n");
}

GBytes *
sipd_builder_finish (SipdBuilder *self, const char *content_type, const char *body)
{
  gsize body_length = body ? strlen (body) : 0;
  GBytes *bytes;

  if (body_length > 0)
    g_string_append_printf (self->text, "Content-Type: %s\r\n", content_type);
  g_string_append_printf (self->text, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", body_length);
  if (body_length > 0)
    g_string_append (self->text, body);
  bytes = g_string_free_to_bytes (g_steal_pointer (&self->text));
  sipd_builder_free (self);
  return bytes;
}

void
sipd_builder_free (SipdBuilder *self)
{
  if (self->text != NULL)
    g_string_free (self->text, TRUE);
  g_free (self);
}

/* A Via branch: RFC 3261's magic cookie and a token from the kernel's random
 * source (§8.1.1.7). */
char *
sipd_new_branch (void)
{
  g_autofree char *token = sipd_random_token (16);

  return g_strconcat ("z9hG4bK", token, NULL);
}

/* A display name as a quoted-string (RFC 3261 §25.1): quotes and
 * backslashes escaped, control characters left out. */
char *
sipd_quote (const char *text)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (quoted, '\\');
    if ((guchar) *p >= 0x20 && *p != 0x7f)
      g_string_append_c (quoted, *p);
  }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/* Tags, Call-IDs, branches and cnonces: letters and digits from the
 * kernel's random source. */
char *
sipd_random_token (guint length)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char *token = g_malloc (length + 1);

  for (guint i = 0; i < length; i++)
    token[i] = alphabet[kl_random_below (sizeof alphabet - 1)];
  token[length] = '\0';
  return token;
}
