/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-line"

#include "sipd-line-path.h"

static gboolean
usable (SipdFlowKeeper *keeper, SipdFlow *avoid, gboolean suspect_too)
{
  SipdFlow *flow = keeper ? sipd_flow_keeper_get_flow (keeper) : NULL;

  if (flow == NULL || flow == avoid)
    return FALSE;
  return suspect_too || sipd_flow_keeper_get_state (keeper) != SIPD_FLOW_KEEPER_STATE_SUSPECT;
}

gboolean
sipd_line_path_choose (SipdPlan *plan,
                       SipdPlan *previous,
                       SipdFlowKeeper *standby,
                       SipdFlow *avoid,
                       SipdLinePath *ret_path)
{
  SipdPlan *plans[] = { plan, previous };

  for (int suspect_too = 0; suspect_too <= 1; suspect_too++) {
    for (guint i = 0; i < G_N_ELEMENTS (plans); i++) {
      if (plans[i] == NULL || !sipd_plan_is_registered (plans[i]) ||
          !usable (sipd_plan_get_request_keeper (plans[i]), avoid, suspect_too))
        continue;
      ret_path->flow = sipd_flow_keeper_get_flow (sipd_plan_get_request_keeper (plans[i]));
      ret_path->route = sipd_plan_get_route (plans[i]);
      ret_path->aor = sipd_plan_get_servers (plans[i])->aor;
      return TRUE;
    }
    if (standby != NULL && sipd_flow_keeper_is_up (standby) &&
        usable (standby, avoid, suspect_too)) {
      SipdRegistration *registration = sipd_flow_keeper_get_registration (standby);
      ret_path->flow = sipd_flow_keeper_get_flow (standby);
      ret_path->route = sipd_registration_get_preloaded_route (registration);
      ret_path->aor = sipd_registration_get_aor (registration);
      return TRUE;
    }
  }
  return FALSE;
}
