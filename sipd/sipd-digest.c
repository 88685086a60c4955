/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-digest"

#include "sipd-digest.h"

#include <nettle/sha2.h>
#include <string.h>

void
sipd_digest_challenge_clear (SipdDigestChallenge *challenge)
{
  g_clear_pointer (&challenge->realm, g_free);
  g_clear_pointer (&challenge->nonce, g_free);
  g_clear_pointer (&challenge->opaque, g_free);
}

const char *
sipd_digest_algorithm_to_string (SipdDigestAlgorithm algorithm)
{
  switch (algorithm) {
  case SIPD_DIGEST_MD5:
    return "MD5";
  case SIPD_DIGEST_SHA256:
    return "SHA-256";
  case SIPD_DIGEST_SHA512_256:
    return "SHA-512-256";
  }
  g_return_val_if_reached ("MD5");
}

/* SHA-512/256 (FIPS 180-4): SHA-512 with its own initial values, cut to
 * 256 bits; not SHA-512 cut short, so GChecksum cannot make it. */
static char *
sha512_256_hex (const char *text)
{
  struct sha512_ctx context;
  guint8 digest[SHA512_256_DIGEST_SIZE];
  GString *hex = g_string_sized_new (2 * sizeof digest);

  sha512_256_init (&context);
  sha512_256_update (&context, strlen (text), (const guint8 *) text);
  sha512_256_digest (&context, sizeof digest, digest);
  for (gsize i = 0; i < sizeof digest; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_string_free (hex, FALSE);
}

char *
sipd_digest_hash_hex (SipdDigestAlgorithm algorithm, const char *text)
{
  switch (algorithm) {
  case SIPD_DIGEST_MD5:
    return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
  case SIPD_DIGEST_SHA256:
    return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  case SIPD_DIGEST_SHA512_256:
    return sha512_256_hex (text);
  }
  g_return_val_if_reached (NULL);
}

/* Reads one auth-param value: a token or a quoted string with \-escapes. */
static const char *
read_value (const char *p, char **ret_value)
{
  g_autoptr (GString) value = g_string_new (NULL);

  if (*p == '"') {
    for (p++; *p && *p != '"'; p++) {
      if (*p == '\\' && p[1])
        p++;
      g_string_append_c (value, *p);
    }
    if (*p != '"')
      return NULL;
    p++;
  } else {
    while (*p && *p != ',' && !g_ascii_isspace (*p))
      g_string_append_c (value, *p++);
  }
  *ret_value = g_string_free (g_steal_pointer (&value), FALSE);
  return p;
}

/* A value goes back in the Authorization header as it came: a control
 * character in it (a CR LF that would start a header of its own) refuses the
 * challenge. */
static gboolean
has_control_character (const char *value)
{
  for (const char *c = value; *c; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      return TRUE;
  return FALSE;
}

/* Text of the challenge as a reason may show it: valid UTF-8, cut short. */
static char *
shown (const char *text)
{
  g_autofree char *cut = g_strndup (text, 40);

  return g_utf8_make_valid (cut, -1);
}

static gboolean
qop_list_has_auth (const char *list)
{
  g_auto (GStrv) items = g_strsplit (list, ",", -1);

  for (guint i = 0; items[i]; i++) {
    if (g_ascii_strcasecmp (g_strstrip (items[i]), "auth") == 0)
      return TRUE;
  }
  return FALSE;
}

/* Parses the value of a WWW-Authenticate or Proxy-Authenticate header:
 * 'Digest realm="x", nonce="y", algorithm=SHA-256, qop="auth,auth-int"'. */
gboolean
sipd_digest_challenge_parse (const char *header_value, SipdDigestChallenge *ret_challenge, char **ret_reason)
{
  g_auto (SipdDigestChallenge) challenge = { 0 };
  const char *p = header_value;

  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, "Digest", 6) != 0 || !g_ascii_isspace (p[6])) {
    *ret_reason = g_strdup ("not a Digest challenge");
    return FALSE;
  }
  challenge.algorithm = SIPD_DIGEST_MD5;
  p += 6;

  while (*p) {
    g_autofree char *name = NULL;
    g_autofree char *value = NULL;
    const char *eq;

    while (g_ascii_isspace (*p) || *p == ',')
      p++;
    if (*p == '\0')
      break;
    eq = strchr (p, '=');
    if (eq == NULL) {
      g_autofree char *where = shown (p);
      *ret_reason = g_strdup_printf ("malformed parameter at '%s'", where);
      return FALSE;
    }
    name = g_strstrip (g_strndup (p, eq - p));
    p = eq + 1;
    while (g_ascii_isspace (*p))
      p++;
    p = read_value (p, &value);
    if (p == NULL || has_control_character (value)) {
      g_autofree char *what = shown (name);
      *ret_reason = g_strdup_printf (p == NULL ? "unterminated quoted value of '%s'"
                                               : "control character in the value of '%s'",
                                     what);
      return FALSE;
    }

    if (g_ascii_strcasecmp (name, "realm") == 0) {
      g_free (challenge.realm);
      challenge.realm = g_steal_pointer (&value);
    } else if (g_ascii_strcasecmp (name, "nonce") == 0) {
      g_free (challenge.nonce);
      challenge.nonce = g_steal_pointer (&value);
    } else if (g_ascii_strcasecmp (name, "opaque") == 0) {
      g_free (challenge.opaque);
      challenge.opaque = g_steal_pointer (&value);
    } else if (g_ascii_strcasecmp (name, "stale") == 0) {
      challenge.stale = g_ascii_strcasecmp (value, "true") == 0;
    } else if (g_ascii_strcasecmp (name, "qop") == 0) {
      challenge.qop_auth = qop_list_has_auth (value);
    } else if (g_ascii_strcasecmp (name, "algorithm") == 0) {
      if (g_ascii_strcasecmp (value, "MD5") == 0)
        challenge.algorithm = SIPD_DIGEST_MD5;
      else if (g_ascii_strcasecmp (value, "SHA-256") == 0)
        challenge.algorithm = SIPD_DIGEST_SHA256;
      else if (g_ascii_strcasecmp (value, "SHA-512-256") == 0)
        challenge.algorithm = SIPD_DIGEST_SHA512_256;
      else {
        g_autofree char *what = shown (value);
        *ret_reason = g_strdup_printf ("unsupported algorithm '%s'", what);
        return FALSE;
      }
    }
  }

  if (challenge.realm == NULL || challenge.nonce == NULL) {
    *ret_reason = g_strdup ("challenge without realm or nonce");
    return FALSE;
  }
  *ret_challenge = challenge;
  challenge = (SipdDigestChallenge) { 0 };
  return TRUE;
}

char *
sipd_digest_response (SipdDigestAlgorithm algorithm,
                      const char *user,
                      const char *realm,
                      const char *password,
                      const char *method,
                      const char *uri,
                      const char *nonce,
                      const char *nc,
                      const char *cnonce,
                      gboolean qop_auth)
{
  g_autofree char *a1 = g_strdup_printf ("%s:%s:%s", user, realm, password);
  g_autofree char *a2 = g_strdup_printf ("%s:%s", method, uri);
  g_autofree char *ha1 = sipd_digest_hash_hex (algorithm, a1);
  g_autofree char *ha2 = sipd_digest_hash_hex (algorithm, a2);
  g_autofree char *kd = NULL;

  if (qop_auth)
    kd = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
  else
    kd = g_strdup_printf ("%s:%s:%s", ha1, nonce, ha2);
  explicit_bzero (a1, strlen (a1));
  return sipd_digest_hash_hex (algorithm, kd);
}

/* name="value", with " and \ escaped as RFC 3261 quoted-strings require */
static void
append_quoted (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, "%s=\"", name);
  for (const char *p = value; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

char *
sipd_digest_authorization (const SipdDigestChallenge *challenge,
                           const char *user,
                           const char *password,
                           const char *method,
                           const char *uri,
                           const char *cnonce,
                           guint32 nonce_count)
{
  g_autoptr (GString) header = g_string_new ("Digest ");
  g_autofree char *response = NULL;
  char nc[9];

  g_snprintf (nc, sizeof nc, "%08x", nonce_count);
  response = sipd_digest_response (challenge->algorithm, user, challenge->realm, password, method,
                                   uri, challenge->nonce, nc, cnonce, challenge->qop_auth);
  append_quoted (header, "username", user);
  append_quoted (g_string_append (header, ", "), "realm", challenge->realm);
  append_quoted (g_string_append (header, ", "), "nonce", challenge->nonce);
  append_quoted (g_string_append (header, ", "), "uri", uri);
  append_quoted (g_string_append (header, ", "), "response", response);
  g_string_append_printf (header, ", algorithm=%s", sipd_digest_algorithm_to_string (challenge->algorithm));
  if (challenge->qop_auth) {
    append_quoted (g_string_append (header, ", "), "cnonce", cnonce);
    g_string_append_printf (header, ", qop=auth, nc=%s", nc);
  }
  if (challenge->opaque != NULL)
    append_quoted (g_string_append (header, ", "), "opaque", challenge->opaque);
  return g_string_free (g_steal_pointer (&header), FALSE);
}
