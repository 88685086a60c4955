/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What netmond's Links property (a(ssas): name, state, addresses) says, as
 * a set of facts ("eth0 up", "eth0 10.0.0.2/24") that two snapshots can be
 * compared by: did the network gain something (a link came up, an address
 * came) or lose something (a link went down, an address went)? */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _KlNetFacts KlNetFacts;

KlNetFacts *kl_net_facts_new (GVariant *links);
void kl_net_facts_free (KlNetFacts *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlNetFacts, kl_net_facts_free)

/* before may be NULL: nothing was known, so nothing was gained or lost. */
gboolean kl_net_facts_gained (const KlNetFacts *before, const KlNetFacts *after);
gboolean kl_net_facts_lost (const KlNetFacts *before, const KlNetFacts *after);
/* Whether an interface has the address; FALSE for the unspecified one. */
gboolean kl_net_facts_has_address (const KlNetFacts *self, GInetAddress *address);

G_END_DECLS
