/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The second flow of a line with "sip outbound dual flow: 1": while the line
 * uses its primary outbound proxy, a flow through the backup outbound proxy
 * stays established and registered with reg-id 2 (RFC 5626 §4.2), so that
 * requests reach the phone through either proxy. It keeps itself alive with
 * keep-alives and recovers with the RFC 5626 §4.5 back-off on its own. */
#pragma once

#include "sipd-line-settings.h"
#include "sipd-resolver.h"
#include "sipd-registration.h"
#include "sipd-stack.h"

G_BEGIN_DECLS

typedef struct _SipdStandby SipdStandby;

SipdStandby *sipd_standby_new (SipdStack *stack,
                               SipdResolver *resolver,
                               const SipdLineSettings *settings,
                               const SipdLinePlan *plan,
                               const SipdRegistrationConfig *config);
void sipd_standby_free (SipdStandby *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdStandby, sipd_standby_free)

void sipd_standby_network_gained (SipdStandby *self);
SipdRegistration *sipd_standby_steal_registration (SipdStandby *self);
SipdFlow *sipd_standby_get_flow (SipdStandby *self);
guint sipd_standby_get_flow_failures (SipdStandby *self);
const char *sipd_standby_get_last_failure (SipdStandby *self);

G_END_DECLS
