/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-error.h"

static const GDBusErrorEntry sipd_error_entries[] = {
  { SIPD_ERROR_INVALID_CONFIG, "org.keepline.Sip.Error.InvalidConfig" },
  { SIPD_ERROR_LINE_DISABLED, "org.keepline.Sip.Error.LineDisabled" },
  { SIPD_ERROR_TLS, "org.keepline.Sip.Error.Tls" },
  { SIPD_ERROR_FLOW, "org.keepline.Sip.Error.Flow" },
  { SIPD_ERROR_MALFORMED, "org.keepline.Sip.Error.Malformed" },
  { SIPD_ERROR_NOT_REGISTERED, "org.keepline.Sip.Error.NotRegistered" },
  { SIPD_ERROR_TOO_MANY_CALLS, "org.keepline.Sip.Error.TooManyCalls" },
  { SIPD_ERROR_WRONG_STATE, "org.keepline.Sip.Error.WrongState" },
  { SIPD_ERROR_REFUSED, "org.keepline.Sip.Error.Refused" },
};

GQuark
sipd_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("sipd-error-quark", &quark, sipd_error_entries,
                                      G_N_ELEMENTS (sipd_error_entries));
  return (GQuark) quark;
}
