/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TLS for SIP flows with GnuTLS: the trust file from the configuration (never
 * the system store), an optional client certificate sent with its intermediate
 * CAs, certificate and host-name verification, revocation by a CRL file where
 * one is configured, the priority of "sips tls priority" (TLS 1.2 and later with
 * forward secrecy by default), and session resumption so that reconnecting is
 * cheap. */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

#include "kl-config.h"

G_BEGIN_DECLS

typedef struct _SipdTls SipdTls;

typedef struct {
  const char *trust;        /* required */
  const char *certificate;  /* the phone's own, or NULL/"" */
  const char *key;          /* of the certificate */
  const char *intermediate; /* CAs sent after the certificate, or NULL/"" */
  const char *crl;          /* revocation lists, or NULL/"" */
} SipdTlsFiles;

SipdTls *sipd_tls_new (const SipdTlsFiles *files, const char *priority, GError **error);
SipdTls *sipd_tls_new_from_config (KlConfig *config, GError **error);
void sipd_tls_free (SipdTls *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipdTls, sipd_tls_free)

gnutls_session_t sipd_tls_session_new (SipdTls *self, const char *server_name, int fd, GError **error);
void sipd_tls_session_save (SipdTls *self, const char *server_name, gnutls_session_t session);
char *sipd_tls_describe_failure (gnutls_session_t session, int code);

G_END_DECLS
