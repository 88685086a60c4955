#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""meson install --destdir into a temporary directory, then checks that every
file the units, the bus policy and the activation files name is where they
name it, and that the man pages, completion and documentation are there."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

errors = []


def check(condition, message):
    if not condition:
        errors.append(message)


def ini(path):
    """key → values of a unit or activation file (keys may repeat)."""
    values = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def main():
    parser = argparse.ArgumentParser()
    for name in ("build", "unit-dir", "policy-dir", "services-dir", "interfaces-dir", "sysusers-dir",
                 "mandir", "docdir", "bindir", "completion-dir"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    top = tempfile.mkdtemp(prefix="kl-install-")
    try:
        subprocess.run(["meson", "install", "-C", args.build, "--no-rebuild", "--quiet", "--destdir", top],
                       check=True, stdout=subprocess.DEVNULL)
        run_checks(args, lambda path: os.path.join(top, path.lstrip("/")))
    finally:
        shutil.rmtree(top)
    for error in errors:
        print("not installed as named:", error)
    print(f"{'FAIL' if errors else 'ok'}: {len(errors)} problems")
    return 1 if errors else 0


def exists(installed, path):
    """An absolute path is ours when installed, else the system's (/bin/kill)."""
    return os.path.exists(installed(path)) or os.path.exists(path)


def sysusers(installed, directory):
    users, groups = {"root"}, {"root"}
    path = installed(os.path.join(directory, "keepline.conf"))
    check(os.path.exists(path), f"sysusers.d file {path}")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            words = line.split()
            if words and words[0] == "u":
                users.add(words[1])
                groups.add(words[1])
            elif words and words[0] == "g":
                groups.add(words[1])
    return users, groups


def check_units(args, installed, users, groups):
    units = [f"keepline-{d}.service" for d in ("sipd", "netmond", "uid")]
    for unit in units:
        path = installed(os.path.join(args.unit_dir, unit))
        check(os.path.exists(path), f"unit {path}")
        if not os.path.exists(path):
            continue
        values = ini(path)
        for key in ("ExecStart", "ExecReload"):
            for command in values.get(key, []):
                program = command.split()[0].lstrip("-@:+!")
                check(exists(installed, program), f"{unit} {key}: {program}")
                check(os.access(installed(program), os.X_OK) or os.access(program, os.X_OK),
                      f"{unit} {key}: {program} is not executable")
        docs = " ".join(values.get("Documentation", [])).split()
        check(docs, f"{unit} has no Documentation=")
        for doc in docs:
            man = re.fullmatch(r"man:([\w.\-]+)\((\d)\)", doc)
            if man:
                page = os.path.join(args.mandir, f"man{man.group(2)}", f"{man.group(1)}.{man.group(2)}")
                check(os.path.exists(installed(page)), f"{unit} Documentation={doc}: {page}")
            elif doc.startswith("file://"):
                check(os.path.exists(installed(doc[len("file://"):])), f"{unit} Documentation={doc}")
            else:
                errors.append(f"{unit} Documentation={doc}: neither man: nor file://")
        for name in values.get("BusName", []):
            check(os.path.exists(installed(os.path.join(args.services_dir, name + ".service"))),
                  f"{unit} BusName={name}: no activation file")
            check(os.path.exists(installed(os.path.join(args.policy_dir, name + ".conf"))),
                  f"{unit} BusName={name}: no bus policy")
        for user in values.get("User", []):
            check(user in users, f"{unit} User={user} is not in sysusers.d")
        for group in values.get("Group", []):
            check(group in groups, f"{unit} Group={group} is not in sysusers.d")


def check_activation(args, installed):
    directory = installed(args.services_dir)
    files = sorted(f for f in os.listdir(directory) if f.startswith("org.keepline.")) if os.path.isdir(directory) else []
    check(len(files) == 3, f"three activation files in {args.services_dir}, found {files}")
    for name in files:
        values = ini(os.path.join(directory, name))
        check(values.get("Name") == [name[:-len(".service")]], f"{name}: Name= is not the file's name")
        for unit in values.get("SystemdService", []):
            check(os.path.exists(installed(os.path.join(args.unit_dir, unit))), f"{name} SystemdService={unit}")
        for command in values.get("Exec", []):
            check(exists(installed, command.split()[0]), f"{name} Exec={command}")
    return [f[:-len(".service")] for f in files]


def check_policy(args, installed, users, groups, bus_names):
    directory = installed(args.policy_dir)
    files = sorted(f for f in os.listdir(directory) if f.startswith("org.keepline.")) if os.path.isdir(directory) else []
    check(len(files) == 3, f"three bus policy files in {args.policy_dir}, found {files}")
    for name in files:
        for policy in ET.parse(os.path.join(directory, name)).getroot().iter("policy"):
            if "user" in policy.attrib:
                check(policy.get("user") in users, f"{name}: user {policy.get('user')} is not in sysusers.d")
            if "group" in policy.attrib:
                check(policy.get("group") in groups, f"{name}: group {policy.get('group')} is not in sysusers.d")
            for rule in policy:
                for key in ("own", "send_destination"):
                    if key in rule.attrib:
                        check(rule.get(key) in bus_names, f"{name}: {key}={rule.get(key)} has no activation file")


def check_rest(args, installed):
    for page in ("man1/keeplinectl.1", "man5/keepline.cfg.5", "man7/keepline-dbus.7",
                 "man8/sipd.8", "man8/netmond.8", "man8/uid.8"):
        check(os.path.exists(installed(os.path.join(args.mandir, page))), f"man page {page}")
    found = subprocess.run(["man", "-M", installed(args.mandir), "-w", "keepline.cfg"],
                           capture_output=True, text=True)
    check(found.returncode == 0 and found.stdout.strip().endswith("man5/keepline.cfg.5"),
          f"man keepline.cfg does not find the page: {found.stderr.strip()}")
    for doc in ("README.md", "architecture.md", "configuration.md", "keepline.cfg.sample"):
        check(os.path.exists(installed(os.path.join(args.docdir, doc))), f"documentation {doc}")
    check(os.access(installed(os.path.join(args.bindir, "keeplinectl")), os.X_OK), "keeplinectl")
    check(os.path.exists(installed(os.path.join(args.completion_dir, "keeplinectl"))), "bash completion")
    for interface in ("Sip.Manager1", "Sip.Line1", "Sip.Call1", "NetMon1", "Ui1"):
        check(os.path.exists(installed(os.path.join(args.interfaces_dir, f"org.keepline.{interface}.xml"))),
              f"interface org.keepline.{interface}")


def run_checks(args, installed):
    users, groups = sysusers(installed, args.sysusers_dir)
    check_units(args, installed, users, groups)
    bus_names = check_activation(args, installed)
    check_policy(args, installed, users, groups, bus_names)
    check_rest(args, installed)


sys.exit(main())
