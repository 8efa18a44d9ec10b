"""The conformance tests' environment: jobs and a platform's prepare read their settings from the
environment (Access.from_environment), so it holds the test app's; an API mock a driver started
(Ecwid's) is stopped after each test, whatever step failed."""

from __future__ import annotations

import pytest

from tests.conformance.drivers.ecwid import stop_mocks


@pytest.fixture(autouse=True)
def platform_env(request):
    if "app" in request.fixturenames:
        request.getfixturevalue("job_env")
    yield
    stop_mocks()
