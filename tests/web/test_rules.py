"""`/rules`: the ranking and star rules, published to every login (a hall login too), in the
page's language, stating the very rule the figures are computed with."""

from __future__ import annotations

import html

from counter_core.figures import StarRule
from counter_core.ratings import POOR_RATINGS, SATISFIED_RATINGS
from tests.helpers.hq import HqServer
from tests.web.support import add_user, browser, new_hall, signed_in


def test_every_login_reads_the_rules_the_figures_follow(hq_server: HqServer) -> None:
    hall, _ = new_hall(hq_server)
    rule = StarRule()
    for role, halls in (("hall", (hall,)), ("hq", ())):
        client = signed_in(hq_server, add_user(hq_server, role, halls))
        english = client.get("/rules?lang=en")
        assert english.status_code == 200, (role, english.text[:300])
        text = html.unescape(english.text)
        assert rule.describe() in text
        assert f"ratings of {min(SATISFIED_RATINGS)}–{max(SATISFIED_RATINGS)}" in text
        assert f"a poor rating is {min(POOR_RATINGS)}–{max(POOR_RATINGS)}" in text
        chinese = html.unescape(client.get("/rules?lang=zh").text)
        assert "排名规则" in chinese and f"C = {rule.prior_weight}" in chinese
        assert f"至少 {rule.min_ratings} 个评价" in chinese
    # nobody signed in: the login page, as for every page
    anonymous = browser(hq_server).get("/rules")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
