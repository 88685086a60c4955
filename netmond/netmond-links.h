/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's view of the network, from rtnetlink: each interface with its
 * state and addresses, and whether a default route exists. A dump at start,
 * then the kernel's notifications (links, IPv4 and IPv6 addresses and routes)
 * keep the model current; after a lost notification (ENOBUFS) it dumps again.
 * The model can be fed netlink messages directly, which the tests do. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  NETMOND_LINK_STATE_DOWN,       /* administratively down (no IFF_UP) */
  NETMOND_LINK_STATE_NO_CARRIER, /* up, but no carrier (no IFF_LOWER_UP / IFF_RUNNING) */
  NETMOND_LINK_STATE_UP,         /* up with carrier */
} NetmondLinkState;

typedef struct {
  int ifindex;
  char *name;
  NetmondLinkState state;
  GPtrArray *addresses; /* of char*, "address/prefix", IPv4 first, then IPv6, each in kernel order */
} NetmondLink;

typedef struct _NetmondLinks NetmondLinks;

/* Something changed: a link appeared, went away or changed state, an address
 * came or went, or the default route did. Called once per batch of netlink
 * messages, not once per message. */
typedef void (*NetmondLinksChangedFunc) (NetmondLinks *links, gpointer user_data);

/* Opens the rtnetlink socket, dumps links, addresses and routes, and watches
 * the main context for notifications. */
NetmondLinks *netmond_links_new (NetmondLinksChangedFunc changed, gpointer user_data, GError **error);
/* A model with no socket, fed with netmond_links_feed() (tests). */
NetmondLinks *netmond_links_new_detached (NetmondLinksChangedFunc changed, gpointer user_data);
void netmond_links_free (NetmondLinks *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetmondLinks, netmond_links_free)

/* Applies a buffer of netlink messages (RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR,
 * RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE; others are ignored), as received
 * from the socket; calls changed once if anything changed. Malformed messages
 * are skipped with a debug message. */
void netmond_links_feed (NetmondLinks *self, const guint8 *data, gsize length);

/* The links sorted by ifindex, loopback included. */
GPtrArray *netmond_links_get_links (NetmondLinks *self); /* of NetmondLink, owned by self */
const NetmondLink *netmond_links_lookup (NetmondLinks *self, const char *name);
/* A default route (0.0.0.0/0 or ::/0) in the main table, through a link that is up. */
gboolean netmond_links_has_default_route (NetmondLinks *self);
/* Any link other than loopback is up with an address. */
gboolean netmond_links_has_usable_link (NetmondLinks *self);
/* The interface with the default route, or NULL. */
const char *netmond_links_get_default_route_link (NetmondLinks *self);

const char *netmond_link_state_to_string (NetmondLinkState state);

G_END_DECLS
