/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-failover.h"

const char *
sipd_role_to_string (SipdRole role)
{
  switch (role) {
  case SIPD_ROLE_PROXY:
    return "proxy";
  case SIPD_ROLE_REGISTRAR:
    return "registrar";
  case SIPD_ROLE_OUTBOUND_PROXY:
    return "outbound proxy";
  case SIPD_N_ROLES:
    break;
  }
  g_return_val_if_reached ("?");
}

SipdFailoverChoice
sipd_failover_choose (const SipdFailoverConfig *config, const gboolean failed[SIPD_N_ROLES])
{
  SipdFailoverChoice choice = { { FALSE } };
  gboolean all_backups = TRUE;
  gboolean any_failed = FALSE;

  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    all_backups = all_backups && config->has_backup[role];
    any_failed = any_failed || failed[role];
  }

  /* With a whole backup set, the phone moves as a whole (the guide's second row). */
  if (all_backups) {
    for (guint role = 0; role < SIPD_N_ROLES; role++)
      choice.use_backup[role] = any_failed;
    return choice;
  }
  for (guint role = 0; role < SIPD_N_ROLES; role++)
    choice.use_backup[role] = failed[role] && config->has_backup[role];
  return choice;
}

gboolean
sipd_failover_choice_equal (const SipdFailoverChoice *a, const SipdFailoverChoice *b)
{
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    if (a->use_backup[role] != b->use_backup[role])
      return FALSE;
  }
  return TRUE;
}

gboolean
sipd_failover_choice_any (const SipdFailoverChoice *choice)
{
  for (guint role = 0; role < SIPD_N_ROLES; role++) {
    if (choice->use_backup[role])
      return TRUE;
  }
  return FALSE;
}
