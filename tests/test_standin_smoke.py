import httpx

from nomadclient.testing import NomadStandIn


def test_unknown_route_answers_like_nomad() -> None:
    with NomadStandIn() as server:
        response = httpx.get(f"{server.api_url}/no/such/route")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
