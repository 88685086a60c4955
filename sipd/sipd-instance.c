/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-instance"

#include "sipd-instance.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define INSTANCE_FILE "instance-id"

/* keepline's own namespace for name-based UUIDs */
static const guint8 keepline_namespace[16] = {
  0x3c, 0x1e, 0x5b, 0x7a, 0x94, 0x2d, 0x4f, 0x61, 0x8a, 0x0c, 0x6e, 0x52, 0xd7, 0x19, 0xb3, 0x44,
};

static char *
format_urn (const guint8 uuid[16])
{
  return g_strdup_printf ("urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8],
                          uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

char *
sipd_instance_id_from_mac (const char *mac)
{
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *name = g_ascii_strup (mac, -1);
  guint8 digest[20];
  gsize length = sizeof digest;

  g_checksum_update (sha1, keepline_namespace, sizeof keepline_namespace);
  g_checksum_update (sha1, (const guint8 *) name, strlen (name));
  g_checksum_get_digest (sha1, digest, &length);
  digest[6] = (digest[6] & 0x0f) | 0x50; /* version 5 */
  digest[8] = (digest[8] & 0x3f) | 0x80; /* RFC 4122 variant */
  return format_urn (digest);
}

static gboolean
is_urn (const char *text)
{
  return g_str_has_prefix (text, "urn:uuid:") && strlen (text) == 45 &&
         g_uuid_string_is_valid (text + strlen ("urn:uuid:"));
}

char *
sipd_instance_id_load_or_create (const char *state_dir, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, INSTANCE_FILE, NULL);
  g_autofree char *text = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *urn = NULL;

  if (g_file_get_contents (path, &text, NULL, NULL) && is_urn (g_strstrip (text)))
    return g_steal_pointer (&text);

  uuid = g_uuid_string_random ();
  urn = g_strconcat ("urn:uuid:", uuid, NULL);
  if (g_mkdir_with_parents (state_dir, 0755) != 0 ||
      !g_file_set_contents (path, urn, -1, error)) {
    if (error != NULL && *error == NULL)
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s", state_dir,
                   g_strerror (errno));
    return NULL;
  }
  g_message ("made a new instance id %s in %s", urn, path);
  return g_steal_pointer (&urn);
}
