#!/usr/bin/env bash
# Installs the Python clients the SDK tests run (requirements.txt, pinned, from
# PyPI) into a venv outside the repository, ${PIER_CACHE_DIR:-~/.cache/pier}/sdk/python
# (test/sdk/venv.sh says how it stays idempotent).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../venv.sh" python "$here/requirements.txt" eas_prediction '
import eas_prediction, google.protobuf, openai
from eas_prediction import PredictClient, StringRequest, ENDPOINT_TYPE_DIRECT
from langchain_community.llms.pai_eas_endpoint import PaiEasEndpoint
'
