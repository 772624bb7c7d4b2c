"""classroom/k8s: the Zero-to-JupyterHub values are ones the chart takes, and they say what the
class needs (the sim engine in unprivileged pods, culling, nbgrader's exchange on one shared
volume, the students' nbgrader config pointing at it), with the image built by the Dockerfile.

No registry this project reaches carries the chart or helm, so `helm template` cannot run
here. SCHEMA below is the chart's values.schema.yaml (jupyterhub chart 4.x) cut down to the
keys these values set, written by hand with the chart's types, required keys and closed objects
(the chart's schema has `additionalProperties: false` at each of these levels, so a misspelt key
fails `helm install`; it fails here too). The values were also validated once, merged into the
chart's own defaults, against its whole schema (README: Kubernetes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from labkit.classroom import grading

K8S = Path(__file__).resolve().parents[1] / "classroom" / "k8s"
NULLABLE_STR, NULLABLE_INT = ["string", "null"], ["integer", "null"]
RESOURCE = {"type": "object", "additionalProperties": False,
            "properties": {"guarantee": {"type": ["number", "string", "null"]},
                           "limit": {"type": ["number", "string", "null"]}}}
VOLUMES = {"type": ["object", "array", "null"]}
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    # the chart's top-level keys
    "properties": {key: {"type": "object"} for key in (
        "enabled", "fullnameOverride", "nameOverride", "imagePullSecret", "imagePullSecrets",
        "custom", "debug", "rbac", "global", "scheduling", "ingress", "httpRoute", "proxy")} | {
        "enabled": {"type": ["boolean", "null"]},
        "imagePullSecrets": {"type": "array"},
        "hub": {"type": "object", "additionalProperties": False, "properties": {
            "config": {"type": "object", "additionalProperties": True},
            "loadRoles": {"type": "object", "additionalProperties": True},
            "extraConfig": {"type": "object"},
            "services": {"type": "object", "additionalProperties": True}}},
        "singleuser": {"type": "object", "additionalProperties": False, "properties": {
            "image": {"type": "object", "additionalProperties": False,
                      "required": ["name", "tag"],
                      "properties": {"name": {"type": "string"}, "tag": {"type": "string"},
                                     "pullPolicy": {"enum": [None, "", "IfNotPresent",
                                                             "Always", "Never"]},
                                     "pullSecrets": {"type": "array"}}},
            "uid": {"type": NULLABLE_INT},
            "fsGid": {"type": NULLABLE_INT},
            "allowPrivilegeEscalation": {"type": ["boolean", "null"]},
            "cmd": {"type": ["array", "string", "null"]},
            "defaultUrl": {"type": NULLABLE_STR},
            "extraEnv": {"type": ["object", "array"]},
            "cpu": RESOURCE, "memory": RESOURCE,
            "storage": {"type": "object", "additionalProperties": False,
                        "required": ["type", "homeMountPath"],
                        "properties": {"type": {"enum": ["dynamic", "static", "none"]},
                                       "capacity": {"type": NULLABLE_STR},
                                       "homeMountPath": {"type": "string"},
                                       "extraVolumes": VOLUMES, "extraVolumeMounts": VOLUMES,
                                       "dynamic": {"type": "object"},
                                       "static": {"type": "object"},
                                       "extraLabels": {"type": "object"}}},
            "extraFiles": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["mountPath"],
                "properties": {"mountPath": {"type": "string"}, "mode": {"type": "integer"},
                               "data": {"type": "object"},
                               "stringData": {"type": "string"},
                               "binaryData": {"type": "string"}}}}}},
        "cull": {"type": "object", "additionalProperties": False, "required": ["enabled"],
                 "properties": {"enabled": {"type": "boolean"},
                                "users": {"type": ["boolean", "null"]},
                                "adminUsers": {"type": ["boolean", "null"]},
                                "removeNamedServers": {"type": ["boolean", "null"]},
                                "timeout": {"type": NULLABLE_INT},
                                "every": {"type": NULLABLE_INT},
                                "concurrency": {"type": NULLABLE_INT},
                                "maxAge": {"type": NULLABLE_INT}}},
        "prePuller": {"type": "object", "additionalProperties": False, "properties": {
            "hook": {"type": "object", "properties": {"enabled": {"type": "boolean"}}}}},
    },
}


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return yaml.safe_load((K8S / "values.yaml").read_text())


def errors(document: dict[str, Any]) -> list[str]:
    return [e.message for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(document)]


def test_values_fit_the_chart(values: dict[str, Any]) -> None:
    assert errors(values) == []


def test_the_schema_refuses_what_helm_would(values: dict[str, Any]) -> None:
    """A misspelt key, a duration as text, an image without a tag: each refused."""
    typo = {**values, "singleuser": {**values["singleuser"], "extraEnvs": {}}}
    assert errors(typo) == ["Additional properties are not allowed ('extraEnvs' was unexpected)"]
    text = {**values, "cull": {**values["cull"], "timeout": "1h"}}
    assert errors(text) == ["'1h' is not of type 'integer', 'null'"]
    untagged = {**values, "singleuser": {**values["singleuser"], "image": {"name": "x"}}}
    assert errors(untagged) == ["'tag' is a required property"]


def test_pods_are_unprivileged_and_run_the_sim(values: dict[str, Any]) -> None:
    user = values["singleuser"]
    assert user["uid"] != 0 and user["allowPrivilegeEscalation"] is False
    assert user["extraEnv"]["LABKIT_ENGINE"] == "sim"
    dockerfile = (K8S / "Dockerfile").read_text()
    assert re.search(r"^USER 1000$", dockerfile, re.M)
    assert "LABKIT_ENGINE=sim" in dockerfile and '"jupyterhub-singleuser"' in dockerfile
    assert "-c /opt/labkit/constraints.txt" in dockerfile and "[classroom]" in dockerfile


def test_culling(values: dict[str, Any]) -> None:
    assert values["cull"]["enabled"] is True and 0 < values["cull"]["timeout"] <= 4 * 3600


def students_config(text: str) -> dict[str, dict[str, Any]]:
    """What an nbgrader config file sets, read by running it as nbgrader's loader does."""
    from traitlets.config import Config

    config = Config()
    exec(compile(text, "nbgrader_config.py", "exec"), {"get_config": lambda: config})
    return {section: dict(config[section]) for section in config}


def test_the_exchange_is_one_shared_volume(values: dict[str, Any]) -> None:
    """Every pod mounts the class's ReadWriteMany claim where the students' nbgrader config
    says the exchange is, and that config is the one `labkit grading init` writes."""
    storage = values["singleuser"]["storage"]
    claim = yaml.safe_load((K8S / "exchange-pvc.yaml").read_text())
    assert claim["kind"] == "PersistentVolumeClaim" and "ReadWriteMany" in claim["spec"][
        "accessModes"]
    volume = next(v for v in storage["extraVolumes"]
                  if v["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"])
    mount = next(m for m in storage["extraVolumeMounts"] if m["name"] == volume["name"])
    config = values["singleuser"]["extraFiles"]["nbgrader-students"]
    assert config["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    in_pods = students_config(config["stringData"])
    assert in_pods["Exchange"]["root"] == mount["mountPath"]
    assert in_pods == students_config(
        grading.students_config_text(Path(mount["mountPath"]), grading.COURSE_ID))
