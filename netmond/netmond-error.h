/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* D-Bus names: org.keepline.NetMon.Error.<Name>. The DNS errors
 * (KL_DNS_ERROR) get names of the same family from
 * netmond_error_register_dns(). */
typedef enum {
  NETMOND_ERROR_INVALID_ARGS,
  NETMOND_ERROR_TOO_MANY,
} NetmondError;

#define NETMOND_ERROR (netmond_error_quark ())
GQuark netmond_error_quark (void);
void netmond_error_register_dns (void);

G_END_DECLS
