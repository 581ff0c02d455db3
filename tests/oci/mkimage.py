#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# mkimage.py ROOTFS OUT.tar NAME: an OCI image archive (image-layout
# 1.0: oci-layout, index.json, blobs) of one uncompressed layer holding
# ROOTFS, named NAME for `ctr image import`; built locally, no registry.
import hashlib, io, json, os, sys, tarfile
rootfs, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
def blob(tf, data, seen):
    d = hashlib.sha256(data).hexdigest()
    if d not in seen:
        ti = tarfile.TarInfo("blobs/sha256/" + d); ti.size = len(data); ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data)); seen.add(d)
    return "sha256:" + d, len(data)
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as lt:
    lt.add(rootfs, arcname=".", recursive=True)
layer = layer.getvalue()
with tarfile.open(out, "w") as tf:
    seen = set()
    ld, ls = blob(tf, layer, seen)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
    cd, cs = blob(tf, cfg, seen)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode()
    md, ms = blob(tf, man, seen)
    for fname, data in (("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
                        ("index.json", json.dumps({"schemaVersion": 2, "manifests": [{
                            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name}}]}).encode())):
        ti = tarfile.TarInfo(fname); ti.size = len(data); ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data))
