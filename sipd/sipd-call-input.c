/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-call-input.h"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>
#include <string.h>

#include "sipd-error.h"

gboolean
sipd_sdp_check (const char *sdp, GError **error)
{
  su_home_t *home;
  sdp_parser_t *parser;
  gboolean ok;

  if (sdp == NULL || *sdp == '\0') {
    g_set_error_literal (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "no SDP given");
    return FALSE;
  }
  if (strlen (sdp) > SIPD_MAX_SDP_SIZE) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "the SDP is longer than %d bytes", SIPD_MAX_SDP_SIZE);
    return FALSE;
  }
  home = su_home_new (sizeof (su_home_t));
  parser = sdp_parse (home, sdp, (issize_t) strlen (sdp), 0);
  ok = sdp_session (parser) != NULL;
  if (!ok)
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "the SDP does not parse: %s", sdp_parsing_error (parser));
  sdp_parser_free (parser);
  su_home_unref (home);
  return ok;
}

gboolean
sipd_call_target_is_user (const char *input)
{
  for (const char *p = input; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && strchr ("*#+-._~", *p) == NULL)
      return FALSE;
  }
  return *input != '\0';
}

static gboolean
is_sip_uri (const char *input)
{
  su_home_t *home = su_home_new (sizeof (su_home_t));
  url_t *url = url_make (home, input);
  gboolean ok = url != NULL && (url->url_type == url_sip || url->url_type == url_sips) && url->url_host != NULL &&
                *url->url_host != '\0';

  su_home_unref (home);
  return ok;
}

char *
sipd_call_target_uri (const char *input, const char *domain, GError **error)
{
  if (input == NULL || strlen (input) > SIPD_MAX_URI_SIZE || strpbrk (input, " \t\r\n<>\"") != NULL) {
    g_set_error_literal (error, SIPD_ERROR, SIPD_ERROR_MALFORMED,
                         "not a SIP URI, number or user: empty, too long, or with spaces, quotes or <>");
    return NULL;
  }
  if (sipd_call_target_is_user (input))
    return g_strdup_printf ("sip:%s@%s", input, domain);
  if ((g_str_has_prefix (input, "sip:") || g_str_has_prefix (input, "sips:")) && is_sip_uri (input))
    return g_strdup (input);
  g_set_error (error, SIPD_ERROR, SIPD_ERROR_MALFORMED, "not a SIP URI, number or user: %s", input);
  return NULL;
}

char *
sipd_uri_host (const char *uri)
{
  su_home_t *home = su_home_new (sizeof (su_home_t));
  url_t *url = url_make (home, uri);
  char *host = NULL;

  if (url != NULL && url->url_host != NULL) {
    if (url->url_port != NULL)
      host = g_strdup_printf ("%s:%s", url->url_host, url->url_port);
    else
      host = g_strdup (url->url_host);
  }
  su_home_unref (home);
  return host;
}
