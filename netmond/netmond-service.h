/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netmond's D-Bus object at /org/keepline/NetMon: the links from rtnetlink,
 * the online state, the SIP servers watched for bus clients with their DNS
 * answers, and the probes of their targets. */
#pragma once

#include <gio/gio.h>

#include "kl-clock.h"
#include "kl-config.h"

G_BEGIN_DECLS

#define NETMOND_SERVICE_PATH "/org/keepline/NetMon"

typedef struct _NetmondService NetmondService;

/* seed: what orders SRV targets of equal priority for this phone */
NetmondService *netmond_service_new (KlClock *clock, KlConfig *config, guint32 seed, GError **error);
void netmond_service_free (NetmondService *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetmondService, netmond_service_free)

gboolean netmond_service_export (NetmondService *self, GDBusConnection *connection, GError **error);
void netmond_service_unexport (NetmondService *self);
void netmond_service_stop (NetmondService *self);
const char *netmond_service_get_online (NetmondService *self);

G_END_DECLS
