/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-stun"

#include "sipd-stun.h"

#include <string.h>

#include "kl-bytes.h"

#define MAGIC_COOKIE 0x2112A442u
#define BINDING_REQUEST 0x0001
#define BINDING_SUCCESS 0x0101
#define ATTR_MAPPED_ADDRESS 0x0001
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02

G_DEFINE_QUARK (sipd-stun-error-quark, sipd_stun_error)

static void
write16 (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static void
write32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

/* A STUN message starts with two zero bits and carries the magic cookie; a SIP
 * message starts with a letter or a CR. This tells them apart on one socket. */
gboolean
sipd_stun_is_stun (const guint8 *data, gsize length)
{
  return length >= SIPD_STUN_HEADER_SIZE && (data[0] & 0xc0) == 0 &&
         kl_read_be32 (data + 4) == MAGIC_COOKIE && (kl_read_be16 (data + 2) & 0x3) == 0 &&
         (gsize) kl_read_be16 (data + 2) + SIPD_STUN_HEADER_SIZE == length;
}

static void
write_header (guint8 *p, guint16 type, guint16 length, const SipdStunTransactionId *id)
{
  write16 (p, type);
  write16 (p + 2, length);
  write32 (p + 4, MAGIC_COOKIE);
  memcpy (p + 8, id->id, SIPD_STUN_TRANSACTION_ID_SIZE);
}

GBytes *
sipd_stun_binding_request (const SipdStunTransactionId *id)
{
  guint8 *p = g_malloc (SIPD_STUN_HEADER_SIZE);

  write_header (p, BINDING_REQUEST, 0, id);
  return g_bytes_new_take (p, SIPD_STUN_HEADER_SIZE);
}

/* A Binding success response with XOR-MAPPED-ADDRESS, as a server sends it. */
GBytes *
sipd_stun_binding_response (const SipdStunTransactionId *id, GInetSocketAddress *mapped)
{
  GInetAddress *address = g_inet_socket_address_get_address (mapped);
  gsize address_size = g_inet_address_get_native_size (address);
  const guint8 *bytes = g_inet_address_to_bytes (address);
  guint16 value_length = (guint16) (4 + address_size);
  gsize total = SIPD_STUN_HEADER_SIZE + 4 + value_length;
  guint8 *p = g_malloc0 (total);
  guint8 *attr = p + SIPD_STUN_HEADER_SIZE;
  guint8 cookie[4];

  write_header (p, BINDING_SUCCESS, (guint16) (4 + value_length), id);
  write32 (cookie, MAGIC_COOKIE);
  write16 (attr, ATTR_XOR_MAPPED_ADDRESS);
  write16 (attr + 2, value_length);
  attr[5] = address_size == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  write16 (attr + 6, g_inet_socket_address_get_port (mapped) ^ (MAGIC_COOKIE >> 16));
  for (gsize i = 0; i < address_size; i++)
    attr[8 + i] = bytes[i] ^ (i < 4 ? cookie[i] : id->id[i - 4]);
  return g_bytes_new_take (p, total);
}

gboolean
sipd_stun_parse_binding_request (const guint8 *data, gsize length, SipdStunTransactionId *ret_id)
{
  if (!sipd_stun_is_stun (data, length) || kl_read_be16 (data) != BINDING_REQUEST)
    return FALSE;
  memcpy (ret_id->id, data + 8, SIPD_STUN_TRANSACTION_ID_SIZE);
  return TRUE;
}

static GInetSocketAddress *
decode_address (const guint8 *value, guint16 length, gboolean xored, const guint8 *transaction_id)
{
  guint8 mask[16];
  guint8 bytes[16];
  gsize size;
  guint16 port;
  g_autoptr (GInetAddress) address = NULL;

  if (length < 8)
    return NULL;
  if (value[1] == FAMILY_IPV4 && length == 8)
    size = 4;
  else if (value[1] == FAMILY_IPV6 && length == 20)
    size = 16;
  else
    return NULL;

  write32 (mask, xored ? MAGIC_COOKIE : 0);
  for (gsize i = 0; i < 12; i++)
    mask[4 + i] = xored ? transaction_id[i] : 0;
  port = kl_read_be16 (value + 2) ^ (xored ? (MAGIC_COOKIE >> 16) : 0);
  for (gsize i = 0; i < size; i++)
    bytes[i] = value[4 + i] ^ mask[i];
  address = g_inet_address_new_from_bytes (bytes, size == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
}

GInetSocketAddress *
sipd_stun_parse_binding_response (const guint8 *data,
                                  gsize length,
                                  SipdStunTransactionId *ret_id,
                                  GError **error)
{
  g_autoptr (GInetSocketAddress) mapped = NULL;
  const guint8 *end = data + length;
  const guint8 *attr;

  if (!sipd_stun_is_stun (data, length)) {
    g_set_error_literal (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_MALFORMED, "not a STUN message");
    return NULL;
  }
  if (kl_read_be16 (data) != BINDING_SUCCESS) {
    g_set_error (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_NOT_A_RESPONSE,
                 "STUN message type 0x%04x is not a Binding success response", kl_read_be16 (data));
    return NULL;
  }

  for (attr = data + SIPD_STUN_HEADER_SIZE; attr + 4 <= end;) {
    guint16 type = kl_read_be16 (attr);
    guint16 value_length = kl_read_be16 (attr + 2);
    const guint8 *value = attr + 4;

    if (value + value_length > end) {
      g_set_error_literal (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_MALFORMED,
                           "STUN attribute runs past the end of the message");
      return NULL;
    }
    if (type == ATTR_XOR_MAPPED_ADDRESS) {
      g_clear_object (&mapped);
      mapped = decode_address (value, value_length, TRUE, data + 8);
      if (mapped != NULL)
        break; /* XOR-MAPPED-ADDRESS wins over MAPPED-ADDRESS */
    } else if (type == ATTR_MAPPED_ADDRESS && mapped == NULL) {
      mapped = decode_address (value, value_length, FALSE, data + 8);
    }
    attr = value + ((value_length + 3) & ~3u); /* attributes are padded to 4 bytes */
  }

  if (mapped == NULL) {
    g_set_error_literal (error, SIPD_STUN_ERROR, SIPD_STUN_ERROR_NO_ADDRESS,
                         "STUN Binding response carries no mapped address");
    return NULL;
  }
  memcpy (ret_id->id, data + 8, SIPD_STUN_TRANSACTION_ID_SIZE);
  return g_steal_pointer (&mapped);
}
