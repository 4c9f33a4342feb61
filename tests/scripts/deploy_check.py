#!/usr/bin/env python3
"""What can be checked of deploy/ without a Kubernetes cluster or a
container engine (issue 17, items 3 and 4): the manifests parse; the
headless Service, the StatefulSet's ports and probes, the SRV seed name and
the Containerfile agree on names and ports; every option the manifests, the
example node.conf and the systemd unit give is one `troupe node --help`
names; the image's entry point with its default arguments runs.

    deploy_check.py TROUPE_BINARY DEPLOY_DIR
"""
import glob
import os
import re
import subprocess
import sys

import yaml

errors = []


def check(ok, text):
    if not ok:
        errors.append(text)
    return ok


def conf_options(text):
    """The keys of a CAF config file's troupe { ... } section."""
    keys = []
    inside = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if re.match(r"^troupe\s*\{$", line):
            inside = True
        elif line == "}":
            inside = False
        elif inside and "=" in line:
            keys.append(line.split("=", 1)[0].strip())
    return keys


def main():
    binary, deploy = sys.argv[1], sys.argv[2]
    help_text = subprocess.run([binary, "node", "--help"], capture_output=True,
                               text=True, timeout=30, check=True).stdout
    known = set(re.findall(r"--troupe\.([a-z0-9-]+)", help_text))
    check("seeds" in known and "listen" in known,
          "troupe node --help names no --troupe.seeds/--troupe.listen")

    docs = {}
    for path in sorted(glob.glob(os.path.join(deploy, "kubernetes", "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs.setdefault(doc["kind"], []).append(doc)
    for kind in ("Service", "StatefulSet", "ConfigMap", "Secret", "Kustomization"):
        check(kind in docs, f"deploy/kubernetes has no {kind}")
    if "Kustomization" in docs:
        listed = set(docs["Kustomization"][0]["resources"])
        files = set(os.path.basename(p) for p in glob.glob(
            os.path.join(deploy, "kubernetes", "*.yaml"))) - {"kustomization.yaml"}
        check(listed == files, f"kustomization.yaml lists {sorted(listed)}, "
                               f"the folder holds {sorted(files)}")
    if errors:
        return
    svc = docs["Service"][0]
    sts = docs["StatefulSet"][0]
    cm = docs["ConfigMap"][0]
    check(svc["spec"].get("clusterIP") == "None", "the Service is not headless")
    check(sts["spec"]["serviceName"] == svc["metadata"]["name"],
          "the StatefulSet's serviceName is not the Service")
    svc_ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
    pod = sts["spec"]["template"]["spec"]
    node = pod["containers"][0]
    ctr_ports = {p["name"]: p["containerPort"] for p in node["ports"]}
    check(svc_ports == ctr_ports,
          f"Service ports {svc_ports} differ from the pod's {ctr_ports}")

    args = node["args"]
    check(args[0] == "node", "the container does not run `troupe node`")
    for a in args:
        m = re.match(r"^--troupe\.([a-z0-9-]+)=(.*)$", a)
        if m:
            check(m.group(1) in known,
                  f"the StatefulSet gives {a}: not a troupe node option")
    def port_of(option):
        for a in args:
            if a.startswith(f"--troupe.{option}="):
                return int(a.rsplit(":", 1)[1])
        return None
    check(port_of("listen") == ctr_ports.get("troupe"),
          "--troupe.listen's port is not the pod's troupe port")
    check(port_of("http") == ctr_ports.get("http"),
          "--troupe.http's port is not the pod's http port")
    for probe, path in (("readinessProbe", "/readyz"),
                        ("livenessProbe", "/healthz")):
        get = node.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and get.get("port") == "http",
              f"the {probe} does not ask {path} on the http port")
    check(pod.get("terminationGracePeriodSeconds", 0) >= 10,
          "terminationGracePeriodSeconds leaves no time for a graceful leave")

    conf = cm["data"]["node.conf"]
    for key in conf_options(conf):
        check(key in known, f"the ConfigMap sets troupe.{key}: not an option")
    seeds = re.search(r'seeds\s*=\s*"([^"]*)"', conf)
    want = f"srv:_troupe._tcp.{svc['metadata']['name']}."
    check(seeds is not None and seeds.group(1).startswith(want),
          f"the ConfigMap's seeds are not the Service's SRV name ({want}...)")
    check("troupe" in svc_ports, "the Service has no port named troupe "
          "(the SRV record _troupe._tcp is named after it)")

    with open(os.path.join(deploy, "kubernetes", "Containerfile")) as f:
        cf = f.read()
    entry = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", cf, re.M)
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", cf, re.M)
    check(entry and cmd, "the Containerfile has no ENTRYPOINT and CMD")
    if entry and cmd:
        argv = yaml.safe_load(entry.group(1)) + yaml.safe_load(cmd.group(1))
        check(argv[0] == "/usr/bin/troupe", "the entry point is not /usr/bin/troupe")
        run = subprocess.run([binary] + argv[1:], capture_output=True,
                             text=True, timeout=30)
        check(run.returncode == 0 and "--troupe.seeds" in run.stdout,
              f"the image's entry point ({' '.join(argv)}) failed: {run.stderr}")
    exposed = set(int(p) for p in re.findall(r"^EXPOSE\s+(.*)$", cf, re.M)[0].split())
    check(exposed == set(ctr_ports.values()),
          f"the Containerfile exposes {exposed}, the pod {set(ctr_ports.values())}")

    with open(os.path.join(deploy, "systemd", "node.conf")) as f:
        for key in conf_options(f.read()):
            check(key in known, f"deploy/systemd/node.conf sets troupe.{key}: "
                                "not an option")
    with open(os.path.join(deploy, "systemd", "troupe-node@.service")) as f:
        unit = f.read()
    for opt in re.findall(r"--troupe\.([a-z0-9-]+)=", unit):
        check(opt in known, f"the systemd unit gives --troupe.{opt}: not an option")


if __name__ == "__main__":
    main()
    for e in errors:
        print("error:", e)
    if not errors:
        print("OK: deploy/ names troupe node's own options and ports")
    sys.exit(1 if errors else 0)
