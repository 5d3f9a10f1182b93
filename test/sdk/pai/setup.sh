#!/usr/bin/env bash
# Installs the PAI Python SDK (alipai, with requirements.txt pinned, from PyPI) into a
# venv of its own outside the repository, ${PIER_CACHE_DIR:-~/.cache/pier}/sdk/pai:
# alipai needs numpy<2, the eas-prediction venv of test/sdk/python has numpy 2
# (test/sdk/venv.sh says how it stays idempotent).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../venv.sh" pai "$here/requirements.txt" alibabacloud_tea_openapi '
from pai.predictor import AsyncPredictor, Predictor
from pai.session import setup_default_session
from pai.libs.alibabacloud_eas20210701.client import Client
from alibabacloud_tea_openapi.models import Config
'
