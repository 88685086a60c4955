/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-tls"

#include "sipd-tls.h"

#include <gnutls/x509.h>
#include <string.h>

#include "sipd-error.h"

struct _SipdTls {
  gnutls_certificate_credentials_t credentials;
  gnutls_priority_t priority;
  GHashTable *sessions; /* server name -> GBytes of resumption data */
};

static gboolean
check (int code, const char *what, GError **error)
{
  if (code >= 0)
    return TRUE;
  g_set_error (error, SIPD_ERROR, SIPD_ERROR_TLS, "%s: %s", what, gnutls_strerror (code));
  return FALSE;
}

static gboolean
is_set (const char *path)
{
  return path != NULL && *path != '\0';
}

/* The phone's certificate, then the intermediate CAs, as one chain. */
static gboolean
load_certificate (SipdTls *self, const SipdTlsFiles *files, GError **error)
{
  g_autofree char *certificate = NULL;
  g_autofree char *intermediate = NULL;
  g_autofree char *key = NULL;
  g_autofree char *chain = NULL;
  gsize key_length;
  gnutls_datum_t chain_datum, key_datum;

  if (!is_set (files->intermediate))
    return check (gnutls_certificate_set_x509_key_file (self->credentials, files->certificate, files->key,
                                                        GNUTLS_X509_FMT_PEM),
                  files->certificate, error);
  if (!g_file_get_contents (files->certificate, &certificate, NULL, error) ||
      !g_file_get_contents (files->intermediate, &intermediate, NULL, error) ||
      !g_file_get_contents (files->key, &key, &key_length, error))
    return FALSE;
  chain = g_strconcat (certificate, "\n", intermediate, NULL);
  chain_datum = (gnutls_datum_t) { (unsigned char *) chain, (unsigned int) strlen (chain) };
  key_datum = (gnutls_datum_t) { (unsigned char *) key, (unsigned int) key_length };
  if (!check (gnutls_certificate_set_x509_key_mem (self->credentials, &chain_datum, &key_datum, GNUTLS_X509_FMT_PEM),
              files->certificate, error))
    return FALSE;
  memset (key, 0, key_length);
  return TRUE;
}

static gboolean
load_crl (SipdTls *self, const char *crl_file, GError **error)
{
  int loaded = gnutls_certificate_set_x509_crl_file (self->credentials, crl_file, GNUTLS_X509_FMT_PEM);

  if (!check (loaded, crl_file, error))
    return FALSE;
  if (loaded == 0) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_TLS, "%s: no revocation list in the file", crl_file);
    return FALSE;
  }
  g_debug ("%d revocation list%s from %s", loaded, loaded == 1 ? "" : "s", crl_file);
  return TRUE;
}

SipdTls *
sipd_tls_new (const SipdTlsFiles *files, const char *priority, GError **error)
{
  g_autoptr (SipdTls) self = g_new0 (SipdTls, 1);
  const char *trust_file = files->trust;
  const char *bad = NULL;
  int loaded;
  int code;

  g_return_val_if_fail (is_set (trust_file), NULL);

  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  code = gnutls_priority_init2 (&self->priority, priority, &bad, 0);
  if (code < 0) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_TLS, "'sips tls priority': %s at \"%s\"", gnutls_strerror (code),
                 bad ? bad : priority);
    return NULL;
  }
  if (!check (gnutls_certificate_allocate_credentials (&self->credentials), "TLS credentials", error))
    return NULL;
  loaded = gnutls_certificate_set_x509_trust_file (self->credentials, trust_file, GNUTLS_X509_FMT_PEM);
  if (!check (loaded, trust_file, error))
    return NULL;
  if (loaded == 0) {
    g_set_error (error, SIPD_ERROR, SIPD_ERROR_TLS, "%s: no certificate in the file", trust_file);
    return NULL;
  }
  if (is_set (files->certificate) && !load_certificate (self, files, error))
    return NULL;
  if (is_set (files->crl) && !load_crl (self, files->crl, error))
    return NULL;
  g_debug ("trusting %d certificate%s from %s", loaded, loaded == 1 ? "" : "s", trust_file);
  return g_steal_pointer (&self);
}

SipdTls *
sipd_tls_new_from_config (KlConfig *config, GError **error)
{
  const SipdTlsFiles files = {
    .trust = kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_TRUSTED_CERTIFICATES),
    .certificate = kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_LOCAL_CERTIFICATE),
    .key = kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_PRIVATE_KEY),
    .intermediate = kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_ROOT_AND_INTERMEDIATE_CERTIFICATES),
    .crl = kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_REVOCATION_LIST),
  };

  return sipd_tls_new (&files, kl_config_get_string (config, 0, KL_CONFIG_KEY_TLS_PRIORITY), error);
}

void
sipd_tls_free (SipdTls *self)
{
  if (self->credentials != NULL)
    gnutls_certificate_free_credentials (self->credentials);
  if (self->priority != NULL)
    gnutls_priority_deinit (self->priority);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_free (self);
}

/* A client session on a connected socket, verifying the server's certificate
 * against the trust file and its name against server_name (a host name or an
 * IP address, both checked against the certificate's subjectAltName). */
gnutls_session_t
sipd_tls_session_new (SipdTls *self, const char *server_name, int fd, GError **error)
{
  gnutls_session_t session = NULL;
  GBytes *resume;

  if (!check (gnutls_init (&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK), "TLS session", error))
    return NULL;
  if (!check (gnutls_priority_set (session, self->priority), "TLS priority", error) ||
      !check (gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, self->credentials),
              "TLS credentials", error)) {
    gnutls_deinit (session);
    return NULL;
  }
  if (!g_hostname_is_ip_address (server_name))
    gnutls_server_name_set (session, GNUTLS_NAME_DNS, server_name, strlen (server_name));
  gnutls_session_set_verify_cert (session, server_name, 0);
  gnutls_transport_set_int (session, fd);

  resume = g_hash_table_lookup (self->sessions, server_name);
  if (resume != NULL) {
    gsize length;
    const void *data = g_bytes_get_data (resume, &length);
    gnutls_session_set_data (session, data, length);
  }
  return session;
}

/* After a handshake: keep what lets the next connection to the server resume. */
void
sipd_tls_session_save (SipdTls *self, const char *server_name, gnutls_session_t session)
{
  gnutls_datum_t data = { NULL, 0 };

  if (gnutls_session_get_data2 (session, &data) < 0)
    return;
  g_hash_table_replace (self->sessions, g_strdup (server_name), g_bytes_new (data.data, data.size));
  gnutls_free (data.data);
}

/* "TLS: certificate not trusted: The certificate issuer is unknown." and the like */
char *
sipd_tls_describe_failure (gnutls_session_t session, int code)
{
  gnutls_datum_t text = { NULL, 0 };
  char *description;

  if (code != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
    if (code == GNUTLS_E_WARNING_ALERT_RECEIVED || code == GNUTLS_E_FATAL_ALERT_RECEIVED)
      return g_strdup_printf ("TLS alert from the server: %s",
                              gnutls_alert_get_name (gnutls_alert_get (session)));
    return g_strdup_printf ("TLS: %s", gnutls_strerror (code));
  }
  if (gnutls_certificate_verification_status_print (gnutls_session_get_verify_cert_status (session),
                                                    GNUTLS_CRT_X509, &text, 0) < 0)
    return g_strdup ("TLS: the server's certificate did not verify");
  description = g_strdup_printf ("TLS: %s", (const char *) text.data);
  gnutls_free (text.data);
  return g_strchomp (description);
}
