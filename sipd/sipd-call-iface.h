/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods of org.keepline.Sip.Call1, answered with what the call's own
 * functions say (sipd-call.h). */
#pragma once

#include "sipd-call.h"

G_BEGIN_DECLS

void sipd_call_iface_connect (KlSipCall1 *iface, SipdCall *call);

G_END_DECLS
