"""deploy/kubernetes/: schema-valid offline, consistent with each other, locked down."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils as kubernetes_validate

from sarcoma_cds.settings import Settings, UnsafeSettingsError

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes minor still widely supported; kubernetes-validate>=1.30 bundles it.
KUBERNETES_VERSION = "1.30"
NAMESPACE = "sarcoma-cds"
UID = 10001
SECRETS = "sarcoma-cds-secrets"
METRICS_SECRET = "sarcoma-cds-metrics"
PODMONITOR = MANIFESTS / "optional" / "podmonitor.yaml"

Doc = dict[str, Any]


def _load_all() -> list[tuple[str, Doc]]:
    documents = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((path.name, document))
    return documents


DOCUMENTS = _load_all()


def _one(kind: str, name: str | None = None) -> Doc:
    found = [
        doc
        for _, doc in DOCUMENTS
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected exactly one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _pod_spec() -> Doc:
    spec: Doc = _one("Deployment")["spec"]["template"]["spec"]
    return spec


def _container() -> Doc:
    containers = _pod_spec()["containers"]
    assert len(containers) == 1
    container: Doc = containers[0]
    return container


def _pod_labels() -> dict[str, str]:
    labels: dict[str, str] = _one("Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


@pytest.mark.parametrize(
    ("filename", "document"),
    DOCUMENTS,
    ids=[f"{name}:{doc['kind']}" for name, doc in DOCUMENTS],
)
def test_manifest_validates_against_the_kubernetes_schema(filename: str, document: Doc) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_validation_is_strict_about_unknown_fields() -> None:
    broken = copy.deepcopy(_one("Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="readinessprobe"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_expected_kinds_are_all_present() -> None:
    kinds = {doc["kind"] for _, doc in DOCUMENTS}
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }


def test_kustomization_lists_every_manifest_and_sets_the_namespace() -> None:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == NAMESPACE
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    assert set(listed) == {name for name, _ in DOCUMENTS}
    image_names = {image["name"] for image in kustomization["images"]}
    assert _container()["image"].rsplit(":", 1)[0] in image_names


def test_every_object_is_in_the_service_namespace() -> None:
    assert _one("Namespace")["metadata"]["name"] == NAMESPACE
    for name, doc in DOCUMENTS:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE, name


def test_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = _one("Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pod_runs_as_uid_10001_with_runtime_default_seccomp() -> None:
    pod = _pod_spec()["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == UID
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}


def test_container_is_non_root_read_only_and_without_capabilities() -> None:
    context = _container()["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == UID
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context.get("privileged", False) is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert "add" not in context["capabilities"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_only_tmp_is_writable_and_secrets_are_mounted_read_only() -> None:
    volumes = {volume["name"]: volume for volume in _pod_spec()["volumes"]}
    for volume in volumes.values():
        assert set(volume) - {"name"} <= {"secret", "emptyDir", "configMap"}, volume
    for mount in _container()["volumeMounts"]:
        if "emptyDir" in volumes[mount["name"]]:
            assert mount["mountPath"] == "/tmp"
            assert "sizeLimit" in volumes[mount["name"]]["emptyDir"]
        else:
            assert mount.get("readOnly") is True, mount


def test_no_service_account_token_reaches_the_pod() -> None:
    account = _one("ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    assert _pod_spec()["serviceAccountName"] == account["metadata"]["name"]
    assert _pod_spec()["automountServiceAccountToken"] is False


def test_probes_use_readyz_and_healthz_on_the_http_port() -> None:
    container = _container()
    port_names = {port["name"] for port in container["ports"]}
    expected = {
        "readinessProbe": "/readyz",
        "livenessProbe": "/healthz",
        "startupProbe": "/healthz",
    }
    for probe, path in expected.items():
        assert container[probe]["httpGet"]["path"] == path
        assert container[probe]["httpGet"]["port"] in port_names


def _cpu_millis(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


def _memory_mib(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_requests_and_limits_are_set_and_consistent() -> None:
    resources = _container()["resources"]
    requests, limits = resources["requests"], resources["limits"]
    assert 0 < _cpu_millis(requests["cpu"]) <= _cpu_millis(limits["cpu"])
    assert 0 < _memory_mib(requests["memory"]) <= _memory_mib(limits["memory"])


def test_service_selects_the_pods_and_targets_the_container_port() -> None:
    service = _one("Service")
    assert service["spec"]["selector"].items() <= _pod_labels().items()
    port_names = {port["name"] for port in _container()["ports"]}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names


def test_autoscaler_scales_the_deployment_on_cpu() -> None:
    hpa = _one("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    deployment = _one("Deployment")
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    # Utilization is relative to the request: without one the HPA cannot compute it.
    assert "cpu" in _container()["resources"]["requests"]


def test_disruption_budget_protects_the_pods_without_blocking_drains() -> None:
    pdb = _one("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= _pod_labels().items()
    assert 1 <= pdb["spec"]["minAvailable"] < _one("HorizontalPodAutoscaler")["spec"]["minReplicas"]


def _namespaces(peers: list[Doc]) -> set[str]:
    return {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in peers
    }


def test_network_policy_admits_only_the_ingress_controller_on_the_service_port() -> None:
    policy = _one("NetworkPolicy", "sarcoma-cds")
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"].items() <= _pod_labels().items()
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
    [rule] = spec["ingress"]
    assert _namespaces(rule["from"]) == {"ingress-nginx"}
    container_ports = {port["containerPort"] for port in _container()["ports"]}
    assert {port["port"] for port in rule["ports"]} == container_ports


def test_network_policy_egress_is_dns_postgres_and_https_only() -> None:
    egress = _one("NetworkPolicy", "sarcoma-cds")["spec"]["egress"]
    allowed = {(port["port"], port["protocol"]) for rule in egress for port in rule["ports"]}
    assert allowed == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP")}
    for rule in egress:
        assert rule.get("to"), "an egress rule without `to` would allow every destination"
        ports = {port["port"] for port in rule["ports"]}
        if ports == {53}:
            assert _namespaces(rule["to"]) == {"kube-system"}
        else:
            # Cloud metadata endpoints stay unreachable even via a request's fhirServer URL.
            for peer in rule["to"]:
                assert "169.254.0.0/16" in peer["ipBlock"]["except"]


def test_prometheus_policy_only_adds_scrapes_from_the_monitoring_namespace() -> None:
    spec = _one("NetworkPolicy", "sarcoma-cds-allow-prometheus")["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    [rule] = spec["ingress"]
    assert _namespaces(rule["from"]) == {"monitoring"}
    assert [port["port"] for port in rule["ports"]] == [8080]


def test_secret_values_are_marked_placeholders() -> None:
    for name in (SECRETS, METRICS_SECRET):
        secret = _one("Secret", name)
        assert secret["stringData"]
        for key, value in secret["stringData"].items():
            assert "CHANGE-ME" in value, key


def test_deployment_references_exist() -> None:
    container = _container()
    [source] = container["envFrom"]
    assert source["configMapRef"]["name"] == _one("ConfigMap")["metadata"]["name"]
    secret = _one("Secret", SECRETS)
    for variable in container["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["key"] in _one("Secret", reference["name"])["stringData"]
    for volume in _pod_spec()["volumes"]:
        if "secret" in volume:
            assert volume["secret"]["secretName"] == secret["metadata"]["name"]
            for item in volume["secret"]["items"]:
                assert item["key"] in secret["stringData"]


def _environment() -> dict[str, str]:
    environment = dict(_one("ConfigMap")["data"])
    for variable in _container()["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]
        environment[variable["name"]] = _one("Secret", reference["name"])["stringData"][
            reference["key"]
        ]
    return environment


def test_every_variable_is_a_known_setting() -> None:
    fields = {f"SARCOMA_CDS_{name.upper()}" for name in Settings.model_fields}
    assert set(_environment()) <= fields


def test_configured_settings_pass_the_production_safety_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _environment()
    mount = _container()["volumeMounts"]
    [trusted_mount] = [m for m in mount if m["name"] == "trusted-clients"]
    trusted_path = Path(environment["SARCOMA_CDS_TRUSTED_CLIENTS"])
    assert trusted_path.parent == Path(trusted_mount["mountPath"])
    # The file the pod would see, written where this test can create it.
    local_copy = tmp_path / trusted_path.name
    local_copy.write_text(_one("Secret", SECRETS)["stringData"][trusted_path.name])
    environment["SARCOMA_CDS_TRUSTED_CLIENTS"] = str(local_copy)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # The metrics token placeholder is too short to start with: it must be replaced.
    with pytest.raises(UnsafeSettingsError, match="SARCOMA_CDS_METRICS_TOKEN"):
        Settings().check_safe()
    monkeypatch.setenv("SARCOMA_CDS_METRICS_TOKEN", "0123456789abcdef" * 4)

    settings = Settings()
    settings.check_safe()
    assert settings.mode == "production"
    assert settings.workers == 1
    assert settings.feedback_db_url.startswith("postgresql+psycopg://")
    assert yaml.safe_load(local_copy.read_text())[0]["iss"].startswith("https://")


def test_pods_carry_no_annotation_scrape_that_the_token_would_refuse() -> None:
    """Issue 17, F11: production /metrics answers only the bearer token; a `prometheus.io/*`
    annotation scrape cannot send one and would only collect 404s."""
    annotations = _one("Deployment")["spec"]["template"]["metadata"].get("annotations", {})
    assert not [key for key in annotations if key.startswith("prometheus.io/")]
    [token] = [v for v in _container()["env"] if v["name"] == "SARCOMA_CDS_METRICS_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"] == {"name": METRICS_SECRET, "key": "token"}


def test_podmonitor_scrapes_each_pod_with_the_metrics_token() -> None:
    monitor = yaml.safe_load(PODMONITOR.read_text())
    assert monitor["kind"] == "PodMonitor"
    assert monitor["metadata"]["namespace"] == NAMESPACE
    spec = monitor["spec"]
    assert spec["selector"]["matchLabels"].items() <= _pod_labels().items()
    [endpoint] = spec["podMetricsEndpoints"]
    assert endpoint["port"] in {port["name"] for port in _container()["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["authorization"] == {
        "type": "Bearer",
        "credentials": {"name": METRICS_SECRET, "key": "token"},
    }
    assert "token" in _one("Secret", METRICS_SECRET)["stringData"]
