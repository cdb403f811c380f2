"""compose.yaml, the Dockerfile and .env.example, parsed for what a first `docker compose up` needs
(issue 18: no containers run here, so the files themselves are checked)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
BOTS = [name for name, service in SERVICES.items() if "gridcare run" in str(service.get("command", ""))]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _variables(path: Path) -> set[str]:
    """Every VAR in `VAR=` and `# VAR=` lines."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", path.read_text(encoding="utf-8"), re.MULTILINE))


def test_the_database_has_a_health_check_and_the_migration_waits_for_it_and_retries():
    assert "pg_isready" in SERVICES["db"]["healthcheck"]["test"]
    migrate = SERVICES["migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    command = " ".join(migrate["command"])
    assert "gridcare db upgrade" in command and re.search(r"for attempt in .*sleep", command), "retries"
    assert SERVICES["grants"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for bot in BOTS:
        assert SERVICES[bot]["depends_on"]["grants"]["condition"] == "service_completed_successfully"


def test_long_running_services_restart_and_one_offs_do_not():
    assert len(BOTS) >= 2
    for name in ["db", *BOTS]:
        assert SERVICES[name]["restart"] == "unless-stopped", name
    assert SERVICES["migrate"]["restart"] == "no"


def test_migrations_and_the_bots_use_separate_database_roles():
    assert SERVICES["migrate"]["environment"]["GRIDCARE_DATABASE_URL"].startswith(
        "postgresql://gridcare_owner@"
    )
    for bot in BOTS:
        assert SERVICES[bot]["environment"]["GRIDCARE_DATABASE_URL"].startswith("postgresql://gridcare_app@")
        assert "db.env" not in str(SERVICES[bot]["env_file"]), "the bots never see the owner's password"


def test_no_password_is_written_in_the_compose_file():
    def values(node: object):
        if isinstance(node, dict):
            for key, value in node.items():
                yield str(key), value
                yield from values(value)
        elif isinstance(node, list):
            for item in node:
                yield from values(item)

    for key, value in values(COMPOSE):
        if re.search(r"PASSWORD|SECRET|TOKEN", key):
            assert isinstance(value, str) and value.startswith("${"), f"{key}: from .env, not the file"
    assert not re.search(r"postgresql://[^@\s]*:[^@\s]*@", yaml.safe_dump(COMPOSE)), "no password in a URL"


def test_the_image_checks_its_health_on_healthz_and_uses_the_bundled_font():
    joined = DOCKERFILE.replace("\\\n", " ")  # continuation lines joined
    healthcheck = re.search(r"^HEALTHCHECK .*$", joined, re.MULTILINE)
    assert healthcheck is not None and "/healthz" in healthcheck.group(0)
    assert "fonts-noto-cjk" not in DOCKERFILE and "COPY fonts fonts" in DOCKERFILE
    assert (ROOT / "fonts" / "NotoSansCJKsc-Regular-subset.otf").exists()


def test_env_example_documents_every_setting_and_every_variable_compose_needs():
    documented = _variables(ROOT / ".env.example") | _variables(ROOT / "db.env.example")
    settings = {f"GRIDCARE_{name.upper()}" for name in Settings.model_fields}
    assert not settings - documented, f"not in .env.example: {sorted(settings - documented)}"
    compose_text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{([A-Z_]+)", compose_text)) | set(re.findall(r"\$\$([A-Z_]+)", compose_text))
    assert not needed - documented, f"compose needs {sorted(needed - documented)}, undocumented"
