/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-dnsmasq.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kl-test-process.h"

#define WAIT_MS 10000
#define LO_LABEL "lo:kltest"
#define DEFAULT_ZONE "keepline.test"
#define PROBE_ID 0x6b6c

static void
fail (KlTestDnsmasq *self, const char *what)
{
  g_autofree char *stderr_path = g_build_filename (self->dir, "stderr", NULL);
  g_autofree char *output = NULL;

  g_file_get_contents (stderr_path, &output, NULL, NULL);
  if (self->pid > 0)
    kill (-self->pid, SIGKILL);
  g_error ("dnsmasq on %s:%u %s:\n%s", self->addr, self->port, what, output ? output : "");
}

static gboolean
name_is_valid (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strstr (name, "..") != NULL)
    return FALSE;
  for (const char *p = name; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  }
  return TRUE;
}

static gboolean
in_zone (const char *name, const char *zone)
{
  size_t name_len = strlen (name), zone_len = strlen (zone);

  if (name_len < zone_len || g_ascii_strcasecmp (name + name_len - zone_len, zone) != 0)
    return FALSE;
  return name_len == zone_len || name[name_len - zone_len - 1] == '.';
}

static void
check_name (GPtrArray *zones, const char *name, const char *line)
{
  if (!name_is_valid (name))
    g_error ("kl_test_dnsmasq: '%s' in '%s' is not a name this helper takes", name, line);
  for (guint i = 0; i < zones->len; i++) {
    if (in_zone (name, zones->pdata[i]))
      return;
  }
  g_error ("kl_test_dnsmasq: '%s' in '%s' is outside the zones served; add a ZONE line", name, line);
}

static gboolean
is_address (const char *text, GSocketFamily family)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (text);

  return address != NULL && g_inet_address_get_family (address) == family;
}

/* All addresses of a name live in one hosts file, hosts/NAME, which dnsmasq
 * watches by inotify. It is replaced by a rename, so that dnsmasq never reads
 * half a file; the temporary name starts with a dot, which dnsmasq ignores. */
static void
write_hosts_file (KlTestDnsmasq *self, const char *name)
{
  GPtrArray *addresses = g_hash_table_lookup (self->addresses, name);
  g_autofree char *path = g_build_filename (self->hosts_dir, name, NULL);
  g_autofree char *tmp_name = g_strdup_printf (".%s.new", name);
  g_autofree char *tmp_path = g_build_filename (self->hosts_dir, tmp_name, NULL);
  g_autoptr (GString) text = g_string_new ("");
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < addresses->len; i++)
    g_string_append_printf (text, "%s %s\n", (char *) addresses->pdata[i], name);
  g_file_set_contents (tmp_path, text->str, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_rename (tmp_path, path), ==, 0);
}

static void
add_address (GHashTable *table, const char *name, const char *address)
{
  GPtrArray *addresses = g_hash_table_lookup (table, name);

  if (addresses == NULL) {
    addresses = g_ptr_array_new_with_free_func (g_free);
    g_hash_table_insert (table, g_strdup (name), addresses);
  }
  g_ptr_array_add (addresses, g_strdup (address));
}

/* The records become dnsmasq options; A and AAAA records become hosts files. */
static GPtrArray *
parse_records (KlTestDnsmasq *self, const char *const *records, GPtrArray *zones)
{
  GPtrArray *options = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; records[i]; i++) {
    g_auto (GStrv) fields = g_strsplit_set (records[i], " \t", -1);
    g_autoptr (GPtrArray) words = g_ptr_array_new ();

    for (guint j = 0; fields[j]; j++) {
      if (*fields[j])
        g_ptr_array_add (words, fields[j]);
    }
    if (words->len == 2 && strcmp (words->pdata[0], "ZONE") == 0) {
      if (!name_is_valid (words->pdata[1]))
        g_error ("kl_test_dnsmasq: bad zone in '%s'", records[i]);
      g_ptr_array_add (zones, g_strdup (words->pdata[1]));
    }
  }
  if (zones->len == 0)
    g_ptr_array_add (zones, g_strdup (DEFAULT_ZONE));

  for (guint i = 0; records[i]; i++) {
    g_auto (GStrv) fields = g_strsplit_set (records[i], " \t", -1);
    g_autoptr (GPtrArray) words = g_ptr_array_new ();
    const char *kind, *name;

    for (guint j = 0; fields[j]; j++) {
      if (*fields[j])
        g_ptr_array_add (words, fields[j]);
    }
    if (words->len < 2)
      g_error ("kl_test_dnsmasq: cannot read the record '%s'", records[i]);
    kind = words->pdata[0];
    name = words->pdata[1];
    if (strcmp (kind, "ZONE") == 0)
      continue;
    check_name (zones, name, records[i]);
    if ((strcmp (kind, "A") == 0 || strcmp (kind, "AAAA") == 0) && words->len == 3) {
      if (!is_address (words->pdata[2], strcmp (kind, "A") == 0 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6))
        g_error ("kl_test_dnsmasq: bad address in '%s'", records[i]);
      add_address (self->addresses, name, words->pdata[2]);
    } else if (strcmp (kind, "SRV") == 0 && words->len == 6) {
      check_name (zones, words->pdata[2], records[i]);
      g_ptr_array_add (options, g_strdup_printf ("--srv-host=%s,%s,%s,%s,%s", name, (char *) words->pdata[2],
                                                 (char *) words->pdata[3], (char *) words->pdata[4],
                                                 (char *) words->pdata[5]));
    } else if (strcmp (kind, "NAPTR") == 0 && words->len == 7) {
      check_name (zones, words->pdata[6], records[i]);
      g_ptr_array_add (options, g_strdup_printf ("--naptr-record=%s,%s,%s,%s,%s,,%s", name, (char *) words->pdata[2],
                                                 (char *) words->pdata[3], (char *) words->pdata[4],
                                                 (char *) words->pdata[5], (char *) words->pdata[6]));
    } else {
      g_error ("kl_test_dnsmasq: cannot read the record '%s'", records[i]);
    }
  }
  return options;
}

/* Whether ADDR is on lo, and whether with the helper's label. */
static gboolean
lo_has_address (const char *addr, gboolean *ret_ours)
{
  const char *argv[] = { "ip", "-4", "-o", "addr", "show", "dev", "lo", NULL };
  g_autofree char *needle = g_strdup_printf (" inet %s/", addr);
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  int status;

  out = kl_test_run (argv, &status);
  g_assert_cmpint (status, ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (strstr (lines[i], needle) != NULL) {
      *ret_ours = strstr (lines[i], LO_LABEL) != NULL;
      return TRUE;
    }
  }
  return FALSE;
}

static void
lo_address (const char *verb, const char *addr)
{
  g_autofree char *prefix = g_strdup_printf ("%s/32", addr);
  const char *argv[] = { "ip", "addr", verb, prefix, "dev", "lo", "label", LO_LABEL, NULL };
  int status;

  g_free (kl_test_run (argv, &status));
  if (status != 0)
    g_error ("kl_test_dnsmasq: 'ip addr %s %s dev lo' failed (the e2e tests run as root)", verb, prefix);
}

static void
child_setup (gpointer data)
{
  setsid (); /* its own process group, for its TCP children */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* One SOA query for the first zone over UDP; 1 for an authoritative answer,
 * -1 for another answer, 0 for none within 100 ms. */
static int
probe (GSocket *socket, GSocketAddress *server, const char *zone)
{
  g_autoptr (GByteArray) query = g_byte_array_new ();
  static const guint8 header[] = { PROBE_ID >> 8, PROBE_ID & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  static const guint8 type_class[] = { 0, 0, 6, 0, 1 }; /* root label, SOA, IN */
  g_auto (GStrv) labels = g_strsplit (zone, ".", -1);
  guint8 reply[512];
  gssize length;

  g_byte_array_append (query, header, sizeof header);
  for (guint i = 0; labels[i]; i++) {
    guint8 label_length = strlen (labels[i]);

    g_byte_array_append (query, &label_length, 1);
    g_byte_array_append (query, (const guint8 *) labels[i], label_length);
  }
  g_byte_array_append (query, type_class, sizeof type_class);
  g_socket_send_to (socket, server, (const char *) query->data, query->len, NULL, NULL);
  if (!g_socket_condition_timed_wait (socket, G_IO_IN, 100 * 1000, NULL, NULL))
    return 0;
  length = g_socket_receive (socket, (char *) reply, sizeof reply, NULL, NULL);
  if (length < 12 || reply[0] != header[0] || reply[1] != header[1] || !(reply[2] & 0x80))
    return 0;
  return (reply[2] & 0x04) && (reply[3] & 0x0f) == 0 ? 1 : -1;
}

static char *
read_log (KlTestDnsmasq *self)
{
  char *text = NULL;

  if (!g_file_get_contents (self->log_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static guint
count_in_log (KlTestDnsmasq *self, const char *needle)
{
  g_autofree char *text = read_log (self);
  guint count = 0;

  for (const char *p = text; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    count++;
  return count;
}

/* Until the log has NEEDLE more than BEFORE times. */
static void
wait_for_log (KlTestDnsmasq *self, const char *needle, guint before)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;

  while (count_in_log (self, needle) <= before) {
    if (g_get_monotonic_time () > deadline) {
      g_autofree char *what = g_strdup_printf ("never logged '%s'", needle);
      fail (self, what);
    }
    g_usleep (5 * 1000);
  }
}

static void
wait_until_answering (KlTestDnsmasq *self, const char *zone)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                                             &error);
  g_autoptr (GSocketAddress) server = g_inet_socket_address_new_from_string (self->addr, self->port);
  g_autofree char *probe_line = g_strdup_printf ("[SOA] %s from ", zone); /* auth[…] or query[…] */
  gint64 deadline = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  GHashTableIter iter;
  gpointer name;
  int answer;

  g_assert_no_error (error);
  /* the answer must be this server's: another one may hold the port */
  while ((answer = probe (socket, server, zone)) == 0 || count_in_log (self, probe_line) == 0) {
    if (g_subprocess_get_identifier (self->process) == NULL)
      fail (self, "exited while starting");
    if (g_get_monotonic_time () > deadline)
      fail (self, answer == 0 ? "did not answer in time" : "did not answer: another server holds its port");
  }
  if (answer < 0)
    fail (self, "answers, but not as the authority for its zone");

  /* the hosts files are read at start-up */
  g_hash_table_iter_init (&iter, self->addresses);
  while (g_hash_table_iter_next (&iter, &name, NULL)) {
    g_autofree char *needle = g_strdup_printf ("read %s/%s - ", self->hosts_dir, (char *) name);
    wait_for_log (self, needle, 0);
  }
  {
    g_autofree char *text = read_log (self);
    self->log_start = strlen (text);
  }
}

/* Starts dnsmasq on ADDR:PORT (ADDR in 127.0.0.0/8) serving RECORDS, every
 * answer with TTL ttl_s, and returns once it answers. */
KlTestDnsmasq *
kl_test_dnsmasq_start (const char *addr, guint16 port, guint ttl_s, const char *const *records)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) zones = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) options = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *stderr_path = NULL;
  g_autofree char *program = g_find_program_in_path ("dnsmasq");
  KlTestDnsmasq *self = g_new0 (KlTestDnsmasq, 1);
  GHashTableIter iter;
  gpointer name;
  gboolean ours = FALSE;

  if (!g_str_has_prefix (addr, "127.") || !is_address (addr, G_SOCKET_FAMILY_IPV4))
    g_error ("kl_test_dnsmasq: %s is not an IPv4 loopback address", addr);
  self->addr = g_strdup (addr);
  self->port = port;
  self->ttl_s = ttl_s;
  self->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  options = parse_records (self, records, zones);
  self->dir = g_dir_make_tmp ("kl-test-dnsmasq-XXXXXX", &error);
  g_assert_no_error (error);
  self->hosts_dir = g_build_filename (self->dir, "hosts", NULL);
  self->log_path = g_build_filename (self->dir, "dnsmasq.log", NULL);
  g_assert_cmpint (g_mkdir (self->hosts_dir, 0700), ==, 0);
  g_hash_table_iter_init (&iter, self->addresses);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    write_hosts_file (self, name);

  /* a label of ours left by a test that crashed is taken over */
  if (!lo_has_address (addr, &ours) || ours) {
    if (!ours)
      lo_address ("add", addr);
    self->owns_addr = TRUE;
  }

  g_ptr_array_add (argv, program ? g_steal_pointer (&program) : g_strdup ("/usr/sbin/dnsmasq"));
  /* in the foreground, as root (the default user could not read the temporary
   * directory), with no configuration, hosts or resolver files of the system */
  g_ptr_array_add (argv, g_strdup ("--keep-in-foreground"));
  g_ptr_array_add (argv, g_strdup ("--user=root"));
  g_ptr_array_add (argv, g_strdup ("--pid-file="));
  g_ptr_array_add (argv, g_strdup ("--conf-file=/dev/null"));
  g_ptr_array_add (argv, g_strdup ("--no-hosts"));
  g_ptr_array_add (argv, g_strdup ("--no-resolv"));
  g_ptr_array_add (argv, g_strdup ("--bind-interfaces"));
  g_ptr_array_add (argv, g_strdup_printf ("--listen-address=%s", addr));
  g_ptr_array_add (argv, g_strdup_printf ("--port=%u", port));
  g_ptr_array_add (argv, g_strdup ("--log-queries"));
  g_ptr_array_add (argv, g_strdup_printf ("--log-facility=%s", self->log_path));
  /* authoritative on ADDR: the SOA in negative answers, whose minimum is the TTL */
  g_ptr_array_add (argv, g_strdup_printf ("--auth-server=ns.%s,%s", (char *) zones->pdata[0], addr));
  for (guint i = 0; i < zones->len; i++)
    g_ptr_array_add (argv, g_strdup_printf ("--auth-zone=%s", (char *) zones->pdata[i]));
  g_ptr_array_add (argv, g_strdup_printf ("--auth-soa=1,hostmaster.%s", (char *) zones->pdata[0]));
  g_ptr_array_add (argv, g_strdup_printf ("--auth-ttl=%u", ttl_s));
  g_ptr_array_add (argv, g_strdup_printf ("--local-ttl=%u", ttl_s));
  g_ptr_array_add (argv, g_strdup_printf ("--hostsdir=%s", self->hosts_dir));
  for (guint i = 0; i < options->len; i++)
    g_ptr_array_add (argv, g_strdup (options->pdata[i]));
  g_ptr_array_add (argv, NULL);

  stderr_path = g_build_filename (self->dir, "stderr", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, stderr_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  if (self->process == NULL)
    g_error ("kl_test_dnsmasq: cannot run dnsmasq (Debian package dnsmasq-base): %s", error->message);
  self->pid = atoi (g_subprocess_get_identifier (self->process));
  kl_test_group_remember (self->pid);
  wait_until_answering (self, zones->pdata[0]);
  return self;
}

static void
stop (KlTestDnsmasq *self)
{
  if (self->pid <= 0)
    return;
  kill (self->pid, SIGTERM);
  for (guint i = 0; i < 250 && g_subprocess_get_identifier (self->process) != NULL; i++)
    g_usleep (20 * 1000);
  /* what is left, and the children that answer over TCP */
  kl_test_group_kill (self->pid);
  g_subprocess_wait (self->process, NULL, NULL);
  self->pid = 0;
}

void
kl_test_dnsmasq_free (KlTestDnsmasq *self)
{
  stop (self);
  if (self->owns_addr)
    lo_address ("del", self->addr);
  {
    const char *argv[] = { "rm", "-rf", self->dir, NULL };
    g_free (kl_test_run (argv, NULL));
  }
  g_clear_object (&self->process);
  g_hash_table_unref (self->addresses);
  g_free (self->addr);
  g_free (self->dir);
  g_free (self->hosts_dir);
  g_free (self->log_path);
  g_free (self);
}

/* Replaces the A records of NAME by ADDRESS, or adds it; NULL removes them.
 * Returns once dnsmasq has read the change: the next query gets it. */
void
kl_test_dnsmasq_set_address (KlTestDnsmasq *self, const char *name, const char *address)
{
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *addresses = g_hash_table_lookup (self->addresses, name);
  g_autofree char *path = g_build_filename (self->hosts_dir, name, NULL);
  g_autofree char *needle = NULL;
  guint before;

  if (!name_is_valid (name))
    g_error ("kl_test_dnsmasq: '%s' is not a name this helper takes", name);
  if (address != NULL && !is_address (address, G_SOCKET_FAMILY_IPV4))
    g_error ("kl_test_dnsmasq: '%s' is not an IPv4 address", address);
  for (guint i = 0; addresses != NULL && i < addresses->len; i++) {
    if (!is_address (addresses->pdata[i], G_SOCKET_FAMILY_IPV4))
      g_ptr_array_add (kept, g_strdup (addresses->pdata[i]));
  }
  if (address != NULL)
    g_ptr_array_add (kept, g_strdup (address));
  if (kept->len == 0) {
    if (addresses == NULL)
      return;
    g_hash_table_remove (self->addresses, name);
    needle = g_strdup_printf ("inotify: %s removed", path);
    before = count_in_log (self, needle);
    g_assert_cmpint (g_unlink (path), ==, 0);
  } else {
    g_hash_table_insert (self->addresses, g_strdup (name), g_steal_pointer (&kept));
    needle = g_strdup_printf ("read %s - ", path);
    before = count_in_log (self, needle);
    write_hosts_file (self, name);
  }
  wait_for_log (self, needle, before);
}

/* How many queries of TYPE ("A", "SRV", "NAPTR", …) for NAME arrived, over UDP
 * and TCP, since kl_test_dnsmasq_start() returned. Names compare without case. */
guint
kl_test_dnsmasq_count_queries (KlTestDnsmasq *self, const char *type, const char *name)
{
  g_autofree char *text = read_log (self);
  g_auto (GStrv) lines = g_strsplit (text + MIN (self->log_start, strlen (text)), "\n", -1);
  g_autofree char *bare = g_strdup (name);
  g_autofree char *auth = g_strdup_printf ("auth[%s]", type);
  g_autofree char *query = g_strdup_printf ("query[%s]", type);
  guint count = 0;

  if (g_str_has_suffix (bare, "."))
    bare[strlen (bare) - 1] = '\0';
  /* "Dec  2 02:07:53 dnsmasq[19106]: auth[SRV] _sip._udp.keepline.test from 127.0.0.9" */
  for (guint i = 0; lines[i]; i++) {
    const char *p = strstr (lines[i], "]: ");
    g_auto (GStrv) words = NULL;

    if (p == NULL)
      continue;
    words = g_strsplit (p + 3, " ", 4);
    if (g_strv_length (words) >= 3 && (strcmp (words[0], auth) == 0 || strcmp (words[0], query) == 0) &&
        g_ascii_strcasecmp (words[1], bare) == 0 && strcmp (words[2], "from") == 0)
      count++;
  }
  return count;
}

/* "127.0.0.x:port", as the key 'sip dns server' takes it. */
char *
kl_test_dnsmasq_server (KlTestDnsmasq *self)
{
  return g_strdup_printf ("%s:%u", self->addr, self->port);
}
