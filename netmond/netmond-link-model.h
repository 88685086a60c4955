/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's links, their addresses and the default routes as netmond knows
 * them, and how one rtnetlink message changes that. No socket: netmond-links.c
 * reads the kernel and hands each message here. The links are the public
 * NetmondLink of netmond-links.h, whose netmond_link_state_to_string() is
 * defined here too. */
#pragma once

#include <linux/netlink.h>

#include "netmond-links.h"

G_BEGIN_DECLS

typedef struct _NetmondLinkModel NetmondLinkModel;

NetmondLinkModel *netmond_link_model_new (void);
void netmond_link_model_free (NetmondLinkModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetmondLinkModel, netmond_link_model_free)
NetmondLinkModel *netmond_link_model_copy (const NetmondLinkModel *model);

/* One message of a link, an address or a route; others are ignored, malformed
 * ones skipped with a debug message. */
void netmond_link_model_apply_message (NetmondLinkModel *model, const struct nlmsghdr *header);
/* Logs what differs between two models; FALSE if nothing does. */
gboolean netmond_link_model_log_changes (const NetmondLinkModel *before,
                                         const NetmondLinkModel *after);

/* Of NetmondLink, sorted by ifindex, loopback included; owned by the model. */
GPtrArray *netmond_link_model_get_links (const NetmondLinkModel *model);
/* The link that is up with the first default route; NULL if none. */
const NetmondLink *netmond_link_model_get_default_route_link (const NetmondLinkModel *model);
/* Any link other than loopback is up with an address that is not link-local. */
gboolean netmond_link_model_has_usable_link (const NetmondLinkModel *model);

G_END_DECLS
