"""Links made without a request (notifications, e-mail) are the routes' own paths."""

from __future__ import annotations

from typing import Any

import pytest

from intranet import paths
from surveys import notify
from surveys import paths as survey_paths


def test_the_filled_templates_are_the_paths_the_routes_answer(app: Any) -> None:
    assert paths.notice(7) == app.url_path_for("intranet:notice", notice_id=7) == "/notices/7"
    assert survey_paths.response(12) == app.url_path_for("surveys:response", response_id=12)
    assert survey_paths.my_round(3) == app.url_path_for("surveys:my_round", round_id=3)
    # What a round's notification links to.
    assert notify.round_url(3) == "/reports/rounds/3/mine"
    assert notify.response_url(12) == "/reports/responses/12"


def test_a_template_filled_with_the_wrong_parameters_is_refused() -> None:
    with pytest.raises(ValueError, match="notice_id"):
        paths.fill(paths.NOTICE, id=7)
    with pytest.raises(ValueError):
        paths.fill(paths.NOTICE, notice_id=7, extra=1)
