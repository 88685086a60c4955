/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a line shows on D-Bus of its settings, its plan and its flows
 * (org.keepline.Sip.Line1); the line decides when. */
#pragma once

#include "kl-dbus.h"
#include "sipd-plan.h"

G_BEGIN_DECLS

KlSipLine1 *sipd_line_iface_new (guint index);
/* settings NULL: a disabled line */
void sipd_line_iface_show_settings (KlSipLine1 *iface, const SipdLineSettings *settings);
/* plan NULL: none */
void sipd_line_iface_show_plan (KlSipLine1 *iface, SipdPlan *plan);
/* The plan's flow (reg-id 1, or 0 without outbound) and the dual flow's (reg-id 2). */
void sipd_line_iface_show_flows (KlSipLine1 *iface, SipdPlan *plan, gboolean outbound, SipdFlowKeeper *second);

G_END_DECLS
