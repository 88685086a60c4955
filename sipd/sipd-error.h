/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* D-Bus names: org.keepline.Sip.Error.<Name> */
typedef enum {
  SIPD_ERROR_INVALID_CONFIG,
  SIPD_ERROR_LINE_DISABLED,
  SIPD_ERROR_TLS,
  SIPD_ERROR_FLOW,
  SIPD_ERROR_MALFORMED,
  SIPD_ERROR_NOT_REGISTERED,
  SIPD_ERROR_TOO_MANY_CALLS,
  SIPD_ERROR_WRONG_STATE,
  SIPD_ERROR_REFUSED,
} SipdError;

#define SIPD_ERROR (sipd_error_quark ())
GQuark sipd_error_quark (void);

G_END_DECLS
