/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* STUN (RFC 5389) Binding requests and responses: the UDP keep-alive of RFC 5626. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIPD_STUN_HEADER_SIZE 20
#define SIPD_STUN_TRANSACTION_ID_SIZE 12

typedef struct {
  guint8 id[SIPD_STUN_TRANSACTION_ID_SIZE];
} SipdStunTransactionId;

typedef enum {
  SIPD_STUN_ERROR_MALFORMED,
  SIPD_STUN_ERROR_NOT_A_RESPONSE,
  SIPD_STUN_ERROR_NO_ADDRESS,
} SipdStunError;

#define SIPD_STUN_ERROR (sipd_stun_error_quark ())
GQuark sipd_stun_error_quark (void);

gboolean sipd_stun_is_stun (const guint8 *data, gsize length);
GBytes *sipd_stun_binding_request (const SipdStunTransactionId *id);
GBytes *sipd_stun_binding_response (const SipdStunTransactionId *id, GInetSocketAddress *mapped);
gboolean sipd_stun_parse_binding_request (const guint8 *data, gsize length, SipdStunTransactionId *ret_id);
GInetSocketAddress *sipd_stun_parse_binding_response (const guint8 *data,
                                                      gsize length,
                                                      SipdStunTransactionId *ret_id,
                                                      GError **error);

G_END_DECLS
